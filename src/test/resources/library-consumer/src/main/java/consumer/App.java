package consumer;

import dev.jvision.tune.Direction;
import dev.jvision.tune.JdbcStorage;
import dev.jvision.tune.Study;
import org.slf4j.LoggerFactory;

/** A service using jvision's tuner as a library: jvision's log lines must come out in the service's format. */
public final class App {
    public static void main(String[] args) {
        LoggerFactory.getLogger(App.class).info("service started");
        Study study = Study.builder("embedded").direction(Direction.MINIMIZE).build();
        study.optimize(trial -> {
            double x = trial.suggestFloat("x", -1, 1);
            return x * x;
        }, 2);
        System.out.println("best " + study.bestTrial().orElseThrow().value());
        try {
            JdbcStorage.open("sqlite:" + args[0]);
            System.out.println("sqlite opened");
        } catch (IllegalArgumentException e) {
            System.out.println("sqlite: " + e.getMessage());
        }
    }
}
