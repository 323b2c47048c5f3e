package dev.jvision.train;

import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared setup of the training tests: loads the native runtime once per class with one torch
 * thread, and gives each test a fresh temporary folder {@code tmp} (deleted afterwards).
 */
abstract class NativeTestFixture {
    @TempDir
    Path tmp;

    @BeforeAll
    static void initNative() {
        NativeRuntime.init();
        TorchSettings.setThreads(1);
    }
}
