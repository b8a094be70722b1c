package io.xvtep.cli;

import io.vertx.core.json.JsonObject;
import io.xvtep.model.EventType;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `xvtep monitor [vni VNI] [TYPE...]`: the agent's event stream, one line per event, like `ip monitor`. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = "Print learn, move, ageout, l2miss and l3miss events until interrupted",
        customSynopsis = "xvtep monitor [vni VNI] [learn|move|ageout|l2miss|l3miss ...]")
public final class MonitorCommand extends ClientCommand implements Callable<Integer> {

    @Parameters(arity = "0..*", paramLabel = "[vni VNI] [TYPE...]") List<String> words;

    static String line(JsonObject e) {
        String type = e.getString("type");
        StringBuilder sb = new StringBuilder(type).append(' ');
        if ("l3miss".equals(type)) {
            sb.append(e.getString("ip", "?"));
        } else {
            sb.append(e.getString("mac", "?"));
        }
        sb.append(" vni ").append(e.getValue("vni"));
        if (e.getString("remote") != null) {
            sb.append(" dst ").append(e.getString("remote"));
        } else if (e.getString("ifname") != null) {
            sb.append(" port ").append(e.getString("ifname"));
        }
        return sb.toString();
    }

    /**
     * One line as it arrives. Not a BufferedReader: InputStreamReader fills its buffer before it returns
     * (with java.net.http's stream it waits for 8 KiB of events), and a monitor must print each event at once.
     */
    static String readLine(java.io.InputStream in) throws java.io.IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(java.nio.charset.StandardCharsets.UTF_8);
            }
            b.write(c);
        }
        return b.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public Integer call() throws Exception {
        Words w = new Words(words);
        List<String> q = new ArrayList<>();
        List<String> types = new ArrayList<>();
        while (w.more()) {
            String kw = w.next();
            if (kw.equals("vni")) {
                q.add("vni=" + vniNumber(this, w.value(kw)));
            } else if (EventType.streamed(kw).isPresent()) {
                types.add(kw);
            } else {
                throw w.unknown(kw);
            }
        }
        if (!types.isEmpty()) {
            q.add("type=" + String.join(",", types));
        }
        String path = "/events" + (q.isEmpty() ? "" : "?" + String.join("&", q));
        try (UnixHttp.Exchange x = exchange("GET", path, null)) {
            if (x.status() >= 400) {
                System.err.println("xvtep: " + ClientCommand.errorMessage(x.text()));
                return 1;
            }
            for (String l = readLine(x.body()); l != null; l = readLine(x.body())) {
                if (!l.startsWith("data:")) {
                    continue;
                }
                String data = l.substring(5).trim();
                System.out.println(json ? data : line(new JsonObject(data)));
                System.out.flush();
            }
        } catch (ApiError e) {
            return 1;
        }
        System.err.println("xvtep: the agent closed the event stream");
        return 1;
    }
}
