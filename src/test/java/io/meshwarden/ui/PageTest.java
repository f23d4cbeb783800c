package io.meshwarden.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PageTest {
    @Test
    void pagesOfFiftyWithLinksThatKeepTheBase() {
        Page p = Page.of(120, "2", "/runs/r?page=");
        assertEquals(new Page(2, 3, 51, 100, 120, "/runs/r?page=1", "/runs/r?page=3"), p);
        assertEquals(50, p.start());
        Page last = Page.of(120, "3", "/x?page=");
        assertEquals(new Page(3, 3, 101, 120, 120, "/x?page=2", null), last);
    }

    @Test
    void anyOtherAskIsTheNearestPageThereIs() {
        assertEquals(3, Page.of(120, "999999", "/x?page=").number());
        assertEquals(1, Page.of(120, "0", "/x?page=").number());
        assertEquals(1, Page.of(120, "-2", "/x?page=").number());
        assertEquals(1, Page.of(120, "9999999999", "/x?page=").number());
        assertEquals(1, Page.of(120, null, "/x?page=").number());
    }

    @Test
    void nothingToShowIsOneEmptyPage() {
        Page none = Page.of(0, "4", "/x?page=");
        assertEquals(new Page(1, 1, 0, 0, 0, null, null), none);
        assertEquals(Page.EMPTY, none);
        assertEquals(0, none.start());
    }
}
