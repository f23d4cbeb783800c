package io.meshwarden.ui;

import io.quarkus.qute.TemplateData;

/**
 * One page of a long list, {@value #SIZE} items to a page, so that a page costs the same at 10 objects and at 10k.
 *
 * @param from 1-based position of the first item shown, 0 when there is none
 * @param prev null on the first page
 * @param next null on the last
 */
@TemplateData
public record Page(int number, int pages, int from, int to, int total, String prev, String next) {
    static final int SIZE = 50;

    static final Page EMPTY = new Page(1, 1, 0, 0, 0, null, null);

    /**
     * The page asked for (clamped to those that exist; anything but a small number is the first).
     *
     * @param base the link of a page without its number, e.g. {@code /runs/x?page=}
     */
    static Page of(int total, String asked, String base) {
        int pages = Math.max(1, (total + SIZE - 1) / SIZE);
        int number = Math.min(pages, Math.max(1, asked != null && asked.matches("[0-9]{1,6}")
                ? Integer.parseInt(asked) : 1));
        int start = (number - 1) * SIZE;
        int end = Math.min(total, start + SIZE);
        return new Page(number, pages, total == 0 ? 0 : start + 1, end, total,
                number > 1 ? base + (number - 1) : null, number < pages ? base + (number + 1) : null);
    }

    /** 0-based index of the first item on this page. */
    int start() {
        return from == 0 ? 0 : from - 1;
    }
}
