package io.xvtep.app;

import io.vertx.core.json.JsonObject;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One logging path for the agent: java.util.logging. Our code logs through System.Logger (JUL by
 * default), Vert.x and Netty find JUL by themselves, and SLF4J users (jetcd, gRPC) reach it through the
 * slf4j-jdk14 provider on the classpath (so SLF4J never prints "no providers"). Records go to stderr one
 * per line: {@code text} (time, level, logger, message) or {@code json} (one object per line, for log
 * shippers).
 */
public final class Logging {

    private Logging() {
    }

    /** Installs the stderr handler with the given format ("text" or "json") on the root logger. */
    public static void configure(String format) {
        Formatter f = switch (format) {
            case "text" -> new Text();
            case "json" -> new Json();
            default -> throw new IllegalArgumentException("--log-format must be text or json: " + format);
        };
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        Handler h = new ConsoleHandler(); // stderr
        h.setFormatter(f);
        h.setLevel(Level.ALL);
        h.setFilter(Logging::wanted);
        root.addHandler(h);
        root.setLevel(Level.INFO);
    }

    /**
     * Vert.x Micrometer 5.0 registers the HTTP server's gauges (active connections, active requests per
     * method) again for each connection or request it meters (it keeps one counter per meter id, so the
     * value is right), and Micrometer warns about the second registration on a healthy agent. Those
     * messages are dropped; every other warning of the registry stays.
     */
    static boolean wanted(LogRecord r) {
        String m = r.getMessage();
        return m == null || !(m.startsWith("This Gauge has been already registered")
                && m.contains("name='vertx.http.server."));
    }

    private static String message(LogRecord r) {
        String m = r.getMessage();
        if (m != null && r.getParameters() != null && r.getParameters().length > 0) {
            try {
                m = java.text.MessageFormat.format(m, r.getParameters());
            } catch (IllegalArgumentException e) {
                // not a pattern: as is
            }
        }
        return m;
    }

    private static String stack(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    static final class Text extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder sb = new StringBuilder().append(Instant.ofEpochMilli(r.getMillis())).append(' ')
                    .append(r.getLevel().getName()).append(' ').append(r.getLoggerName()).append(": ")
                    .append(message(r)).append('\n');
            if (r.getThrown() != null) {
                sb.append(stack(r.getThrown()));
            }
            return sb.toString();
        }
    }

    static final class Json extends Formatter {
        @Override
        public String format(LogRecord r) {
            JsonObject o = new JsonObject().put("ts", Instant.ofEpochMilli(r.getMillis()).toString())
                    .put("level", r.getLevel().getName()).put("logger", r.getLoggerName())
                    .put("thread", Thread.currentThread().getName()).put("msg", message(r));
            if (r.getThrown() != null) {
                o.put("error", r.getThrown().toString()).put("stack", stack(r.getThrown()));
            }
            return o.encode() + "\n";
        }
    }
}
