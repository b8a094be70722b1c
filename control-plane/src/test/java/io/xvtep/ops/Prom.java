package io.xvtep.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/** Reads samples out of the Prometheus text exposition format (as /metrics serves it). */
final class Prom {

    private Prom() {
    }

    /** Every sample line: "name{labels}" (labels as printed) -> value. */
    static Map<String, Double> samples(String text) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int sp = line.lastIndexOf(' ');
            if (sp < 0) {
                continue;
            }
            try {
                m.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
            } catch (NumberFormatException e) {
                // not a sample
            }
        }
        return m;
    }

    /** The value of the sample named exactly {@code series} (e.g. {@code xvtep_events_lag}). */
    static OptionalDouble value(String text, String series) {
        Double d = samples(text).get(series);
        return d == null ? OptionalDouble.empty() : OptionalDouble.of(d);
    }

    /**
     * The q-quantile of histogram {@code name} (a *_seconds histogram with le buckets and no other
     * labels) the way PromQL's histogram_quantile() computes it: linear within the bucket.
     */
    static double quantile(String text, String name, double q) {
        java.util.TreeMap<Double, Double> buckets = new java.util.TreeMap<>();
        String prefix = name + "_bucket{le=\"";
        samples(text).forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                String le = k.substring(prefix.length(), k.length() - 2);
                buckets.put(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), v);
            }
        });
        if (buckets.isEmpty()) {
            return Double.NaN;
        }
        double total = buckets.lastEntry().getValue();
        if (total == 0) {
            return Double.NaN;
        }
        double rank = q * total;
        double prevLe = 0, prevCount = 0;
        for (Map.Entry<Double, Double> b : buckets.entrySet()) {
            if (b.getValue() >= rank) {
                if (b.getKey().isInfinite()) {
                    return prevLe; // as histogram_quantile: the highest finite bound
                }
                double inBucket = b.getValue() - prevCount;
                return inBucket == 0 ? b.getKey() : prevLe + (b.getKey() - prevLe) * (rank - prevCount) / inBucket;
            }
            prevLe = b.getKey();
            prevCount = b.getValue();
        }
        return prevLe;
    }

    static double valueOr0(String text, String series) {
        return value(text, series).orElse(0);
    }
}
