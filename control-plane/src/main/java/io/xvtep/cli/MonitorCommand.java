package io.xvtep.cli;

import io.vertx.core.json.JsonObject;
import io.xvtep.model.EventType;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

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
        HttpResponse<Stream<String>> r;
        try {
            r = HttpClient.newHttpClient().send(request(path).GET().build(), HttpResponse.BodyHandlers.ofLines());
        } catch (java.net.ConnectException e) {
            System.err.println("xvtep: no agent at " + origin() + " (is `xvtep agent` running?)");
            return 1;
        }
        if (r.statusCode() >= 400) {
            StringBuilder body = new StringBuilder();
            r.body().forEach(body::append);
            String msg = body.toString();
            try {
                msg = new JsonObject(msg).getString("error");
            } catch (RuntimeException e) {
                // as is
            }
            System.err.println("xvtep: " + msg);
            return 1;
        }
        try (Stream<String> lines = r.body()) {
            lines.forEach(l -> {
                if (!l.startsWith("data:")) {
                    return;
                }
                String data = l.substring(5).trim();
                System.out.println(json ? data : line(new JsonObject(data)));
                System.out.flush();
            });
        }
        System.err.println("xvtep: the agent closed the event stream");
        return 1;
    }
}
