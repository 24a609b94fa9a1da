package dev.mercato.simulator;

/** A failure the simulator can be told to answer with, by its directive and settings name. */
enum Failure {
    AUTH("auth"),
    RATE_LIMITED("rate_limited"),
    OVERLOADED("overloaded"),
    SERVER_ERROR("server_error"),
    BAD_REQUEST("bad_request");

    private final String wireName;

    Failure(String wireName) {
        this.wireName = wireName;
    }

    /** @throws IllegalArgumentException naming the accepted kinds when {@code wireName} is none of them */
    static Failure fromWireName(String wireName) {
        for (Failure failure : values()) {
            if (failure.wireName.equals(wireName)) {
                return failure;
            }
        }
        throw new IllegalArgumentException("unknown failure kind '" + wireName + "' (expected one of " + names() + ")");
    }

    static String names() {
        StringBuilder names = new StringBuilder();
        for (Failure failure : values()) {
            if (!names.isEmpty()) {
                names.append(", ");
            }
            names.append(failure.wireName);
        }
        return names.toString();
    }
}
