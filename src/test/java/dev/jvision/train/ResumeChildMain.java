package dev.jvision.train;

import dev.jvision.config.Configs;
import dev.jvision.pipeline.TrainStage;
import java.nio.file.Path;
import java.util.List;

/**
 * Child JVM of {@link ResumeAfterKillTest}: {@code fresh CONFIG} trains a new run,
 * {@code resume RUN_DIR} continues an interrupted one.
 */
public final class ResumeChildMain {
    private ResumeChildMain() {}

    public static void main(String[] args) throws Exception {
        if ("fresh".equals(args[0])) {
            TrainStage.train(Configs.load(Path.of(args[1]), List.of()));
        } else {
            Path run = Path.of(args[1]);
            TrainStage.train(Configs.load(run.resolve("config.yaml"), List.of()), run);
        }
        System.exit(0);
    }
}
