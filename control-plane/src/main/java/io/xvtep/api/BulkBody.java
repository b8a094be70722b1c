package io.xvtep.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.jackson.JacksonCodec;
import io.xvtep.service.VtepException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A bulk body, {@code {"entries": [{"f": "text", ...}, ...]}}, read token by token into what the service
 * takes: no JSON tree of a million objects (at a million entries the tree's young-GC copying was the
 * largest cost of a load). Strict as {@link JsonCodec#object}: an object with only {@code entries}, a list
 * of objects with only the given string fields (null: absent; a field given twice: the last counts, as in
 * a decoded tree), malformed JSON or anything after the body refused; Vert.x's parser limits apply.
 */
final class BulkBody {

    /**
     * Makes one item from entry {@code index}'s fields, in the order of {@code fields} (null: absent). Its
     * refusals name the entry's own field ("mac"); the "entries[i]." before it is added here, only then
     * (building that text for each of a million entries was a visible cost).
     */
    interface EntryReader<T> {
        T read(int index, String[] values);
    }

    private BulkBody() {
    }

    static <T> List<T> entries(Buffer body, List<String> fields, EntryReader<T> reader) {
        if (body == null || body.length() == 0) {
            throw VtepException.invalid(null, "request body must be a JSON object");
        }
        List<T> out = null;
        try (JsonParser p = JacksonCodec.createParser(body)) {
            if (next(p) != JsonToken.START_OBJECT) {
                throw VtepException.invalid(null, "request body must be a JSON object");
            }
            for (JsonToken t = next(p); t != JsonToken.END_OBJECT; t = next(p)) {
                String name = p.currentName();
                if (!"entries".equals(name)) {
                    throw VtepException.invalid(name, "unknown field: " + name);
                }
                if (next(p) != JsonToken.START_ARRAY) {
                    throw VtepException.invalid("entries", "entries must be a list of objects");
                }
                out = new ArrayList<>();
                String[] values = new String[fields.size()];
                for (t = next(p); t != JsonToken.END_ARRAY; t = next(p)) {
                    int i = out.size();
                    if (t != JsonToken.START_OBJECT) {
                        throw VtepException.invalid("entries[" + i + "]", "entries must be objects");
                    }
                    Arrays.fill(values, null);
                    for (t = next(p); t != JsonToken.END_OBJECT; t = next(p)) {
                        String f = p.currentName();
                        int at = fields.indexOf(f);
                        if (at < 0) {
                            throw VtepException.invalid("entries[" + i + "]." + f, "unknown field: " + f);
                        }
                        t = next(p);
                        if (t == JsonToken.VALUE_STRING) {
                            values[at] = p.getText();
                        } else if (t == JsonToken.VALUE_NULL) {
                            values[at] = null;
                        } else {
                            throw VtepException.invalid("entries[" + i + "]." + f, f + " must be a string");
                        }
                    }
                    try {
                        out.add(reader.read(i, values));
                    } catch (VtepException e) {
                        throw e.field() == null ? e
                                : new VtepException(e.kind(), e.getMessage(), "entries[" + i + "]." + e.field());
                    }
                }
            }
            if (p.nextToken() != null) {
                throw VtepException.invalid(null, "malformed JSON: unexpected content after the body");
            }
        } catch (IOException e) {
            throw VtepException.invalid(null, "malformed JSON: " + JsonCodec.firstLine(e.getMessage()));
        }
        if (out == null) {
            throw VtepException.invalid("entries", "entries must be a list of objects");
        }
        return out;
    }

    /** The next token; the end of the input inside the body is malformed JSON. */
    private static JsonToken next(JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t == null) {
            throw VtepException.invalid(null, "malformed JSON: the body ends early");
        }
        return t;
    }
}
