/**
 * {@code jvision serve}: an HTTP inference server in front of {@link dev.jvision.infer.Classifier}
 * (Jetty 12 for HTTP, the Prometheus Java client for {@code /metrics}).
 *
 * <p>{@link dev.jvision.serve.ServeConfig} says what to serve and how (from the command line or a
 * {@code serve.yaml} read by {@link dev.jvision.serve.ServeConfigFile});
 * {@link dev.jvision.serve.InferenceServer} loads the models, listens and shuts down gracefully;
 * {@code ApiHandler} answers the endpoints (see {@code docs/http-server.md} and
 * {@code docs/openapi-serve.yaml}). The HTTP and metrics libraries are optional dependencies of
 * the jvision jar: the launcher brings them, a library user who does not serve never loads this
 * package.
 */
package dev.jvision.serve;
