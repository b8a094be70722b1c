package io.xvtep.datapath;

import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;

/** struct learn_limit: value of xvtep_learn_limit (max as unsigned __u32, 0 = no limit). */
public record LearnLimit(long forgotten, long max) {
    public static final int SIZE = 16;
    public static final int OFF_FORGOTTEN = 0, OFF_MAX = 8, OFF_PAD = 12;

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        le(b).putLong(OFF_FORGOTTEN, forgotten).putInt(OFF_MAX, (int) max);
        return b;
    }

    public static LearnLimit decode(byte[] b) {
        check(b, SIZE, "learn_limit");
        return new LearnLimit(le(b).getLong(OFF_FORGOTTEN), Integer.toUnsignedLong(le(b).getInt(OFF_MAX)));
    }
}
