package dev.jvision.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
    @TempDir
    Path dir;

    @Test
    void append_writesHeaderOnceThenRows() throws IOException {
        MetricsLog log = new MetricsLog(dir.resolve("metrics.csv"));
        log.append(0, 1, 1.5, 1.25, 0.5, 0.6, 0.9, 0.001, 120.0, 300, 0, 3.5, 160);
        log.append(0, 2, 1.0, 1.125, 0.7, 0.8, 1.0, 0.0005, 130.0, 310, 1, 3.25, 224);
        assertEquals(List.of("fold,epoch,train_loss,val_loss,val_f1,val_acc,val_top5,lr,img_per_s,peak_mem_mb,"
                        + "skipped_steps,seconds,img_size",
                "0,1,1.5,1.25,0.5,0.6,0.9,0.001,120.0,300,0,3.5,160",
                "0,2,1.0,1.125,0.7,0.8,1.0,5.0E-4,130.0,310,1,3.25,224"), Files.readAllLines(log.file()));
    }

    @Test
    void append_reopenedLogDoesNotRepeatHeader() throws IOException {
        Path file = dir.resolve("metrics.csv");
        new MetricsLog(file).append(0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 64);
        new MetricsLog(file).append(1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 64);
        List<String> lines = Files.readAllLines(file);
        assertEquals(3, lines.size());
        assertEquals(1, lines.stream().filter(l -> l.startsWith("fold,")).count());
    }

    @Test
    void truncate_dropsOnlyLaterEpochsOfTheFold() throws IOException {
        MetricsLog log = new MetricsLog(dir.resolve("metrics.csv"));
        for (int f = 0; f < 2; f++) {
            for (int e = 1; e <= 3; e++) {
                log.append(f, e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64);
            }
        }
        log.truncate(1, 1);
        List<String> lines = Files.readAllLines(log.file());
        assertEquals(5, lines.size());
        assertEquals("1,1,0,0,0,0,0,0,0,0,0,0,64", lines.get(4));
    }

    @Test
    void append_wrongValueCountThrows() {
        MetricsLog log = new MetricsLog(dir.resolve("metrics.csv"));
        var e = assertThrows(IllegalArgumentException.class, () -> log.append(1, 2));
        assertEquals("2 values (expected: 13)", e.getMessage());
    }
}
