package dev.mercato.simulator;

/** A request the simulator refuses with a 400, as the real API would; {@code param} names the field, if one. */
final class InvalidRequestException extends RuntimeException {

    private final String param;

    InvalidRequestException(String message, String param) {
        super(message, null, false, false);
        this.param = param;
    }

    String param() {
        return param;
    }
}
