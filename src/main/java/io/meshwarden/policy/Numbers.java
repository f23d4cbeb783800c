package io.meshwarden.policy;

import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bounds on every number a policy holds, checked on the text or on the parsed {@link BigDecimal} before anything
 * expands it. {@code 1e1000000} costs nine bytes to send; its plain form costs a megabyte and fabric8's quantity
 * arithmetic on it quadratic time, and {@code 1e-999999999} makes {@code toPlainString} run out of memory. Values
 * within the bounds are cheap for every later step (evaluation, messages, the store), so a stored policy cannot make
 * a later start or audit slow.
 */
public final class Numbers {
    /** Significant digits of a number; Kubernetes quantities fit an int64 (19 digits), so 18 loses no real value. */
    public static final int MAX_DIGITS = 18;
    /** Largest decimal exponent, either way (digits after the point, or the power of ten of {@code 1e18}). */
    public static final int MAX_EXPONENT = 18;
    /** Longest quantity text: a quantity within the digit bound with a suffix or exponent is far shorter. */
    public static final int MAX_QUANTITY_LENGTH = 64;
    /** Kubernetes' own ceiling: no quantity may represent more than 2^63-1 (cores or bytes). */
    public static final BigDecimal MAX_QUANTITY = BigDecimal.valueOf(Long.MAX_VALUE);

    /** apimachinery's grammar: sign, digits with an optional fraction, then an SI suffix or an integer exponent. */
    private static final Pattern QUANTITY = Pattern.compile(
            "([+-]?)([0-9]*)(?:\\.([0-9]*))?(?:(?:[KMGTPE]i|[numkMGTPE])|[eE]([+-]?[0-9]+))?");

    private Numbers() {
    }

    /** A problem with a parsed decimal's size, or null when it is within the bounds. Constant time. */
    public static String checkDecimal(BigDecimal v) {
        if (v.precision() > MAX_DIGITS) {
            return "must have at most " + MAX_DIGITS + " significant digits, got " + v.precision();
        }
        if (v.scale() > MAX_EXPONENT) {
            return "must have at most " + MAX_EXPONENT + " digits after the decimal point";
        }
        if (v.scale() < -MAX_EXPONENT) {
            return "must have a decimal exponent of at most " + MAX_EXPONENT + " either way";
        }
        return null;
    }

    /**
     * The amount of a Kubernetes quantity in base units (cores, bytes).
     *
     * @throws IllegalArgumentException with a reason a person can act on, when the text is not a quantity or is out
     *     of the bounds; the bounds are checked on the text, before any arithmetic
     */
    public static BigDecimal quantity(String text) {
        if (text.length() > MAX_QUANTITY_LENGTH) {
            throw new IllegalArgumentException("must be at most " + MAX_QUANTITY_LENGTH + " characters, got "
                    + text.length());
        }
        Matcher m = QUANTITY.matcher(text);
        boolean matches = m.matches();
        String whole = matches ? m.group(2) : "";
        String fraction = matches && m.group(3) != null ? m.group(3) : "";
        if (!matches || whole.isEmpty() && fraction.isEmpty()) {
            throw new IllegalArgumentException("must be a Kubernetes quantity such as 100m or 128Mi, got '" + text
                    + "'");
        }
        int digits = whole.replaceFirst("^0+", "").length() + fraction.length();
        if (digits > MAX_DIGITS) {
            throw new IllegalArgumentException("must have at most " + MAX_DIGITS + " digits, got " + digits);
        }
        String exponent = m.group(4);
        if (exponent != null) {
            String e = exponent.replaceFirst("^[+-]", "").replaceFirst("^0+", "");
            if (e.length() > 2 || !e.isEmpty() && Integer.parseInt(e) > MAX_EXPONENT) {
                throw new IllegalArgumentException("must have a decimal exponent of at most " + MAX_EXPONENT
                        + " either way, got '" + text + "'");
            }
        }
        BigDecimal amount;
        try {
            amount = Quantity.getAmountInBytes(Quantity.parse(text));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("must be a Kubernetes quantity such as 100m or 128Mi, got '" + text
                    + "'");
        }
        if (amount.abs().compareTo(MAX_QUANTITY) > 0) {
            throw new IllegalArgumentException("must be at most 2^63-1 (" + MAX_QUANTITY + ") cores or bytes, got '"
                    + text + "'");
        }
        return amount;
    }
}
