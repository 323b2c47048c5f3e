package dev.jvision.track;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * A run folder's {@code run.log}: a file appender on logback's root logger, attached only when
 * logback is the application's SLF4J backend (the {@code jvision} launcher's case). logback is
 * an optional dependency of the library, so this is the only class that names it and
 * {@link RunDir} loads it only after checking the backend by name. Not thread-safe.
 */
final class RunLogFile implements AutoCloseable {
    private static final String LOGBACK_CONTEXT = "ch.qos.logback.classic.LoggerContext";
    private final LoggerContext ctx;
    private FileAppender<ILoggingEvent> appender;

    private RunLogFile(LoggerContext ctx, FileAppender<ILoggingEvent> appender) {
        this.ctx = ctx;
        this.appender = appender;
    }

    /** Whether the SLF4J backend in use is logback (without loading any logback class). */
    static boolean available() {
        return LoggerFactory.getILoggerFactory().getClass().getName().equals(LOGBACK_CONTEXT);
    }

    /** Appends every log event to {@code file} until closed; call only when {@link #available()}. */
    static RunLogFile attach(Path file, String name) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder enc = new PatternLayoutEncoder();
        enc.setContext(ctx);
        enc.setPattern("%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level %logger{0} - %msg%n");
        enc.start();
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(ctx);
        appender.setName(name);
        appender.setFile(file.toString());
        appender.setEncoder(enc);
        appender.setAppend(true);
        appender.start();
        ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
        return new RunLogFile(ctx, appender);
    }

    @Override
    public void close() {
        if (appender != null) {
            ctx.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(appender);
            appender.stop();
            appender = null;
        }
    }
}
