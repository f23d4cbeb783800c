package io.meshwarden.ui;

import io.meshwarden.report.LatestReport;
import java.util.List;
import java.util.Locale;

/**
 * Charts drawn on the server as SVG: no script, no library, readable without JavaScript, and allowed by the strict
 * Content-Security-Policy (presentation attributes and classes only, no style attributes). Every text that goes in
 * is escaped here.
 */
final class Charts {
    private Charts() {
    }

    /** The score of each kept audit, oldest left, on a 0-100 axis. */
    static String history(List<LatestReport.Point> points) {
        int w = 600;
        int h = 160;
        int left = 36;
        int bottom = 20;
        StringBuilder s = new StringBuilder();
        s.append("<svg class=\"chart history\" viewBox=\"0 0 ").append(w).append(' ').append(h)
                .append("\" role=\"img\" aria-label=\"compliance score of the last ").append(points.size())
                .append(" audits\">");
        for (int pct = 0; pct <= 100; pct += 25) {
            double y = y(pct, h, bottom);
            s.append("<line class=\"grid\" x1=\"").append(left).append("\" x2=\"").append(w).append("\" y1=\"")
                    .append(fmt(y)).append("\" y2=\"").append(fmt(y)).append("\"/>");
            s.append("<text class=\"axis\" x=\"0\" y=\"").append(fmt(y + 4)).append("\">").append(pct)
                    .append("%</text>");
        }
        int n = points.size();
        double step = n > 1 ? (double) (w - left - 10) / (n - 1) : 0;
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < n; i++) {
            LatestReport.Point p = points.get(i);
            double x = left + 5 + (n > 1 ? i * step : (w - left) / 2.0);
            double y = y(p.score(), h, bottom);
            line.append(fmt(x)).append(',').append(fmt(y)).append(' ');
            s.append("<circle class=\"point\" cx=\"").append(fmt(x)).append("\" cy=\"").append(fmt(y))
                    .append("\" r=\"3\"><title>").append(escape(p.generatedAt().toString())).append(": ")
                    .append(p.score()).append("%, ").append(p.findings()).append(" findings</title></circle>");
        }
        if (n > 1) {
            s.append("<polyline class=\"line\" points=\"").append(line.toString().strip()).append("\"/>");
        }
        s.append("<text class=\"axis\" x=\"").append(left).append("\" y=\"").append(h - 4).append("\">")
                .append(n == 1 ? "one audit" : "oldest of " + n).append("</text>");
        s.append("<text class=\"axis end\" x=\"").append(w).append("\" y=\"").append(h - 4)
                .append("\" text-anchor=\"end\">latest</text>");
        return s.append("</svg>").toString();
    }

    /** A horizontal bar of {@code value} out of {@code max}, for a table cell. */
    static String bar(long value, long max, String cssClass) {
        double pct = max <= 0 ? 0 : 100.0 * value / max;
        return "<svg class=\"bar " + escape(cssClass) + "\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" "
                + "aria-hidden=\"true\"><rect width=\"" + fmt(Math.max(pct, value > 0 ? 0.5 : 0))
                + "\" height=\"10\"/></svg>";
    }

    private static double y(double score, int h, int bottom) {
        return 8 + (h - bottom - 8) * (1 - score / 100.0);
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
