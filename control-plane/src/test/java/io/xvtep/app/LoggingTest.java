package io.xvtep.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;

import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.Test;

/** The agent's one log format: a line per record, JSON for log shippers, Vert.x's duplicate-gauge noise dropped. */
class LoggingTest {

    private static LogRecord record(Level level, String msg) {
        LogRecord r = new LogRecord(level, msg);
        r.setLoggerName("xvtep.agent");
        return r;
    }

    @Test
    void jsonIsOneObjectPerLine() {
        LogRecord r = record(Level.WARNING, "port \"c1\"\nremoved");
        r.setThrown(new IllegalStateException("boom"));
        String line = new Logging.Json().format(r);
        assertThat(line).endsWith("\n");
        assertThat(line.strip()).doesNotContain("\n");
        JsonObject o = new JsonObject(line);
        assertThat(o.getString("level")).isEqualTo("WARNING");
        assertThat(o.getString("logger")).isEqualTo("xvtep.agent");
        assertThat(o.getString("msg")).isEqualTo("port \"c1\"\nremoved");
        assertThat(o.getString("error")).contains("boom");
        assertThat(o.getString("ts")).isNotBlank();
    }

    @Test
    void textIsOneLineWithLevelAndLogger() {
        String line = new Logging.Text().format(record(Level.INFO, "xvtep agent: underlay ul0"));
        assertThat(line).matches("\\d{4}-\\d\\d-\\d\\dT\\S+ INFO xvtep.agent: xvtep agent: underlay ul0\n");
    }

    @Test
    void onlyVertxDuplicateGaugeWarningsAreDropped() {
        assertThat(Logging.wanted(record(Level.WARNING, "This Gauge has been already registered (MeterId{name="
                + "'vertx.http.server.active.requests', tags=[tag(method=GET)]}), the registration will be ignored.")))
                .isFalse();
        assertThat(Logging.wanted(record(Level.WARNING, "This Gauge has been already registered (MeterId{name="
                + "'xvtep_fdb_entries'}), the registration will be ignored."))).isTrue();
        assertThat(Logging.wanted(record(Level.WARNING, "reaper: boom"))).isTrue();
    }

    @Test
    void unknownFormatIsRefused() {
        assertThatThrownBy(() -> Logging.configure("xml")).hasMessageContaining("text or json");
    }
}
