// JNI shim over libtorch's Kineto profiler (torch::autograd::profiler::enableProfiler /
// disableProfiler) and user-scope RecordFunction markers, which the JavaCPP presets do not map.
// Built by benchmarks/native/build.sh against the headers of the same libtorch version (2.13,
// from the Python wheel) and linked to the libtorch_cpu.so that JavaCPP extracted; used only by
// dev.jvision.bench.OpProfile. The trace it saves is the same Chrome-trace JSON that Python's
// torch.profiler exports, so both sides are read by one parser (benchmarks/python/op_profile.py).
#include <jni.h>
#include <memory>
#include <set>
#include <string>
#include <vector>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/profiler_kineto.h>

namespace prof = torch::autograd::profiler;
namespace impl = torch::profiler::impl;

namespace {
thread_local std::vector<std::unique_ptr<at::RecordFunction>> marks;
}

extern "C" JNIEXPORT void JNICALL Java_dev_jvision_bench_OpProfile_start0(JNIEnv*, jclass) {
  impl::ProfilerConfig config(impl::ProfilerState::KINETO, /*report_input_shapes=*/false,
                              /*profile_memory=*/false, /*with_stack=*/false, /*with_flops=*/false,
                              /*with_modules=*/false);
  std::set<impl::ActivityType> activities{impl::ActivityType::CPU};
  prof::prepareProfiler(config, activities);
  prof::enableProfiler(config, activities);
}

extern "C" JNIEXPORT void JNICALL Java_dev_jvision_bench_OpProfile_stop0(JNIEnv* env, jclass, jstring path) {
  std::unique_ptr<prof::ProfilerResult> result = prof::disableProfiler();
  const char* p = env->GetStringUTFChars(path, nullptr);
  result->save(std::string(p));
  env->ReleaseStringUTFChars(path, p);
}

// Opens a user-scope range (as Python's torch.profiler.record_function(name)).
extern "C" JNIEXPORT void JNICALL Java_dev_jvision_bench_OpProfile_push0(JNIEnv* env, jclass, jstring name) {
  auto rf = std::make_unique<at::RecordFunction>(at::RecordScope::USER_SCOPE);
  if (rf->isActive()) {
    const char* p = env->GetStringUTFChars(name, nullptr);
    rf->before(std::string(p));
    env->ReleaseStringUTFChars(name, p);
  }
  marks.push_back(std::move(rf));
}

extern "C" JNIEXPORT void JNICALL Java_dev_jvision_bench_OpProfile_pop0(JNIEnv*, jclass) {
  if (!marks.empty()) {
    marks.back()->end();
    marks.pop_back();
  }
}
