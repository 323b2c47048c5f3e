package dev.jvision.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Conditional parameters ({@code key|cond=value}) appear to users under their config key. */
class ConfigKeyDisplayTest {
    private static final String CONDITIONAL = "train.lr|model.name=resnet18";

    @Test
    void configKey_dropsTheCondition() {
        assertEquals("train.lr", SearchSpace.configKey(CONDITIONAL));
        assertEquals("train.lr", SearchSpace.configKey("train.lr"));
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("model.name", "resnet18");
        p.put(CONDITIONAL, 0.01);
        assertEquals(List.of("model.name", "train.lr"), List.copyOf(SearchSpace.byConfigKey(p).keySet()));
    }

    @Test
    void trialLog_andReport_showConfigKeys() {
        var logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Study.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        Study study;
        try {
            study = Study.builder("display").sampler(new RandomSampler(1)).build();
            study.optimize(t -> {
                String model = t.suggestCategorical("model.name", List.of("resnet18"));
                return t.suggestFloat(CONDITIONAL, 1e-4, 1e-1, true) + model.length();
            }, 2);
        } finally {
            logger.detachAppender(events);
        }
        List<String> lines = events.list.stream().map(ILoggingEvent::getFormattedMessage).filter(l -> l.startsWith("Trial ")).toList();
        assertEquals(2, lines.size(), lines.toString());
        for (String l : lines) {
            assertTrue(l.contains("train.lr="), l);
            assertFalse(l.contains("|"), "internal conditional name in the log: " + l);
        }
        String report = StudyReport.text("display", Direction.MINIMIZE, study.trials());
        assertTrue(report.contains("  train.lr: "), report);
        assertFalse(report.contains(CONDITIONAL), report);
    }
}
