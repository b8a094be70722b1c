package io.xvtep.api;

import io.xvtep.service.VtepException;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code ?limit=N&after=KEY} over a list sorted by key: the entries after KEY, at most N of them, never
 * splitting the entries of one key (the flood list's entries all have the all-zero MAC). Without {@code limit}
 * the whole list. The next page's address goes in a {@code Link: <...>; rel="next"} header, so the body keeps
 * its shape (a JSON array) for the CLI and existing clients.
 */
final class Paging {

    /** Largest page a client may ask for. */
    static final int MAX_LIMIT = 100_000;

    private Paging() {
    }

    /** A page and the key to continue after (null: this was the last page). */
    record Page<T>(List<T> items, String next) {
    }

    /** {@code limit} as given (null: no limit); 400 unless 1..MAX_LIMIT. */
    static Integer limit(String text) {
        if (text == null) {
            return null;
        }
        int limit;
        try {
            limit = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw VtepException.invalid("limit", "limit must be a number: " + text);
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw VtepException.invalid("limit", "limit must be in 1.." + MAX_LIMIT + ": " + limit);
        }
        return limit;
    }

    /**
     * @param sorted entries in ascending key order
     * @param after the key to start after (null: from the first)
     * @param limit at most this many entries, more only to finish a key (null: all)
     */
    static <T, K extends Comparable<K>> Page<T> page(List<T> sorted, Function<T, K> key, K after, Integer limit) {
        List<T> out = new ArrayList<>(limit == null ? sorted.size() : Math.min(limit, sorted.size()));
        K last = null;
        for (T t : sorted) {
            K k = key.apply(t);
            if (after != null && k.compareTo(after) <= 0) {
                continue;
            }
            if (limit != null && out.size() >= limit && k.compareTo(last) != 0) {
                return new Page<>(out, last.toString());
            }
            out.add(t);
            last = k;
        }
        return new Page<>(out, null);
    }
}
