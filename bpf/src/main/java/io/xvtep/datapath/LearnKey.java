package io.xvtep.datapath;

import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;

/** struct learn_key: key of xvtep_learn_limit and xvtep_learn_count. */
public record LearnKey(int scope, int id) {
    public static final int SIZE = 8;
    public static final int OFF_SCOPE = 0, OFF_ID = 4;

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        le(b).putInt(OFF_SCOPE, scope).putInt(OFF_ID, id);
        return b;
    }

    public static LearnKey decode(byte[] b) {
        check(b, SIZE, "learn_key");
        return new LearnKey(le(b).getInt(OFF_SCOPE), le(b).getInt(OFF_ID));
    }
}
