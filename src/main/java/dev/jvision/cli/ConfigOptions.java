package dev.jvision.cli;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The {@code --config} / {@code --set} options shared by the commands that run an experiment. */
final class ConfigOptions {
    @Option(names = {"-c", "--config"}, description = "experiment YAML (default: ${DEFAULT-VALUE})",
            defaultValue = "configs/quickstart.yaml")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "override a config value, e.g. --set train.epochs=3 (repeatable)")
    List<String> overrides = new ArrayList<>();

    Experiment load() {
        return Configs.load(config, overrides);
    }
}
