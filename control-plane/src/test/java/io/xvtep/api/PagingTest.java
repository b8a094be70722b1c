package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xvtep.service.VtepException;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class PagingTest {

    // key: the first character, so "a1","a2" share a key the way flood entries share the zero MAC
    private static Paging.Page<String> page(List<String> l, Integer limit, String after) {
        return Paging.page(l, s -> s.substring(0, 1), after, limit);
    }

    @Test
    void pagesCoverEverythingOnceAndNeverSplitAKey() {
        List<String> l = List.of("a1", "a2", "a3", "b1", "c1", "c2", "d1");
        List<String> all = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        String after = null;
        do {
            Paging.Page<String> p = page(l, 2, after);
            all.addAll(p.items());
            sizes.add(p.items().size());
            after = p.next();
        } while (after != null);
        assertThat(all).containsExactlyElementsOf(l);
        assertThat(sizes).containsExactly(3, 3, 1); // [a1 a2 a3] [b1 c1 c2] [d1]
        assertThat(page(l, null, null).items()).isEqualTo(l);
        assertThat(page(l, null, "c").items()).containsExactly("d1");
        assertThat(page(l, 1, "d").items()).isEmpty();
        assertThat(page(l, 1, "d").next()).isNull();
        assertThat(page(l, 7, null).next()).isNull(); // exactly the rest: no empty page to follow
    }

    @Test
    void badLimitsAreRefused() {
        assertThat(Paging.limit(null)).isNull();
        assertThat(Paging.limit("100000")).isEqualTo(100_000);
        for (String bad : List.of("0", "-1", "x", "100001", "1e3", "")) {
            assertThatThrownBy(() -> Paging.limit(bad)).as(bad).isInstanceOf(VtepException.class)
                    .hasMessageContaining("limit");
        }
    }
}
