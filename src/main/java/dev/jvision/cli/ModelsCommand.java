package dev.jvision.cli;

import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.Models;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvision models}: the registered models. */
@Command(name = "models", mixinStandardHelpOptions = true, description = "List registered models.")
final class ModelsCommand implements Callable<Integer> {
    @Option(names = "--filter", paramLabel = "GLOB", description = "e.g. resnet*")
    String filter;

    @Override
    public Integer call() {
        java.util.List<String> names = Models.list(filter);
        if (names.isEmpty()) {
            throw new IllegalArgumentException("--filter " + filter + ": no registered model matches (known: "
                    + String.join(", ", Models.list(null)) + ")");
        }
        System.out.printf("%-28s %10s %6s%n", "model", "params(M)", "input");
        for (String name : names) {
            ModelSpec s = Models.spec(name);
            try (ImageModel m = Models.create(name, ModelOptions.of(1000))) {
                System.out.printf("%-28s %10.2f %6d%n", name, m.parameterCount() / 1e6, s.inputSize());
            }
        }
        return 0;
    }
}
