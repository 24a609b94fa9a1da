package dev.mercato.bench;

/** Reading and checking command-line values, shared by the benchmarks' option parsers. */
final class Flags {

    private Flags() {
    }

    static double number(String text, String flag) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs a number, was " + text);
        }
    }

    static int integer(String text, String flag) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs a whole number, was " + text);
        }
    }

    static void check(boolean condition, String rule) {
        if (!condition) {
            throw new IllegalArgumentException(rule);
        }
    }
}
