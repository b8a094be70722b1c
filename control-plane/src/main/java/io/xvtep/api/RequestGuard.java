package io.xvtep.api;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

/**
 * The first handler of every request: refuses what a browser page or a stray client could send
 * before any body is read or any handler runs.
 * <ul>
 * <li>{@code Host} must name this agent: a loopback name or literal, the listen address, or a name the
 * operator allowed. A page that rebinds its own DNS name to 127.0.0.1 sends its name, so it is refused
 * (403) even though the connection reached us.</li>
 * <li>A request carrying {@code Origin} comes from a browser page: refused (403) unless the operator allowed
 * that origin. The CLI, curl and scripts send none.</li>
 * <li>POST, PUT and PATCH bodies must be {@code application/json} (415): the "simple" content types a page
 * may POST cross-site without a preflight (text/plain, form encodings, multipart) never reach a handler,
 * and no upload is ever written to disk.</li>
 * <li>Bodies are bounded per route (413): the bulk routes {@link ApiRouter#BULK_BODY_LIMIT}, other writes
 * {@link ApiRouter#BODY_LIMIT}, reads and deletes none at all. A declared Content-Length is checked here;
 * a chunked body is cut by the body handler at the same limit ({@link #bodyLimit}).</li>
 * </ul>
 * Every refusal is counted by reason ({@link #refusals()}, exported as xvtep_api_refused_total).
 */
public final class RequestGuard implements Handler<RoutingContext> {

    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]+(%[0-9a-z_.-]+)?");

    private final String listenHost;
    private final Set<String> allowedHosts;
    private final Set<String> allowedOrigins;
    private final Map<String, LongAdder> refusals = new ConcurrentHashMap<>();

    /**
     * @param listenHost the address the API is bound to (an IP literal, a wildcard, or null for a Unix socket)
     * @param allowedHosts further host names the operator reaches the API by (lower case, without port)
     * @param allowedOrigins browser origins allowed to call the API (e.g. {@code https://ops.example}); none by default
     */
    public RequestGuard(String listenHost, Set<String> allowedHosts, Set<String> allowedOrigins) {
        this.listenHost = listenHost == null ? null : stripBrackets(listenHost.toLowerCase(Locale.ROOT));
        this.allowedHosts = allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT))
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        this.allowedOrigins = allowedOrigins.stream().map(o -> o.toLowerCase(Locale.ROOT))
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        for (String r : REASONS) {
            refusals.put(r, new LongAdder());
        }
    }

    /** The refusal reasons, as counted. */
    public static final java.util.List<String> REASONS = java.util.List.of("host", "origin", "content_type",
            "body_size");

    /** The largest body a request may carry: by method and route. */
    public static long bodyLimit(HttpMethod method, String path) {
        if (method != HttpMethod.POST && method != HttpMethod.PUT && method != HttpMethod.PATCH) {
            return 0;
        }
        return path.endsWith("/bulk") ? ApiRouter.BULK_BODY_LIMIT : ApiRouter.BODY_LIMIT;
    }

    /** Refusals so far, by reason (host, origin, content_type, body_size). */
    public Map<String, LongAdder> refusals() {
        return refusals;
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        String host = req.getHeader(HttpHeaders.HOST);
        if (host != null && !hostAllowed(host)) {
            refuse(ctx, "host", 403, "Host " + host + " is not this agent's address (only loopback names and"
                    + " addresses, the listen address and --api-allow-host names are served)");
            return;
        }
        String origin = req.getHeader(HttpHeaders.ORIGIN);
        if (origin != null && !allowedOrigins.contains(origin.toLowerCase(Locale.ROOT))) {
            refuse(ctx, "origin", 403, "requests from browser pages (Origin " + origin + ") are refused;"
                    + " --api-allow-origin allows an origin");
            return;
        }
        long limit = bodyLimit(req.method(), req.path());
        boolean writes = limit > 0;
        String type = req.getHeader(HttpHeaders.CONTENT_TYPE);
        if (writes && !isJson(type)) {
            refuse(ctx, "content_type", 415, "the request body must be application/json, not "
                    + (type == null || type.isBlank() ? "untyped" : type));
            return;
        }
        String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
        boolean chunked = req.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
        long declared;
        try {
            declared = length == null ? 0 : Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            declared = Long.MAX_VALUE;
        }
        if (declared > limit || (limit == 0 && chunked)) {
            refuse(ctx, "body_size", 413, limit == 0 ? req.method() + " takes no request body"
                    : "request body too large: at most " + limit + " bytes on " + req.path());
            return;
        }
        ctx.next();
    }

    private void refuse(RoutingContext ctx, String reason, int status, String message) {
        refusals.get(reason).increment();
        // The unread body is not worth draining: close the connection after this answer.
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(JsonCodec.error(message, null).encodePrettily() + "\n");
    }

    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semi = contentType.indexOf(';');
        String media = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        return media.equals("application/json");
    }

    boolean hostAllowed(String hostHeader) {
        String h = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            if (end < 0) {
                return false;
            }
            h = h.substring(1, end);
        } else {
            int colon = h.lastIndexOf(':');
            if (colon >= 0 && h.indexOf(':') == colon) {
                h = h.substring(0, colon);
            }
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (h.equals("localhost") || allowedHosts.contains(h) || h.equals(listenHost)) {
            return true;
        }
        if (IPV4.matcher(h).matches()) {
            // Any literal when bound to all addresses (the token guards that case); else loopback only.
            return h.startsWith("127.") || isWildcard(listenHost);
        }
        if (h.contains(":") && IPV6.matcher(h).matches()) {
            return h.equals("::1") || isWildcard(listenHost);
        }
        return false;
    }

    private static boolean isWildcard(String host) {
        return host != null && (host.equals("0.0.0.0") || host.equals("::") || host.equals("*"));
    }

    private static String stripBrackets(String h) {
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }
}
