package dev.mercato.simulator;

/** Every id of one simulated response, derived from its sequence number so runs replay. */
record Ids(long sequence) {

    private String suffix() {
        String digits = Long.toString(sequence);
        return digits.length() >= 8 ? digits : "0".repeat(8 - digits.length()) + digits;
    }

    String requestId() {
        return "req_sim_" + suffix();
    }

    String anthropicMessage() {
        return "msg_sim_" + suffix();
    }

    String anthropicToolUse() {
        return "toolu_sim_" + suffix();
    }

    String chatCompletion() {
        return "chatcmpl-sim" + suffix();
    }

    String toolCall() {
        return "call_sim" + suffix();
    }

    String response() {
        return "resp_sim" + suffix();
    }

    String responseMessage() {
        return "msg_sim" + suffix();
    }

    String responseFunctionCall() {
        return "fc_sim" + suffix();
    }

    String responseReasoning() {
        return "rs_sim" + suffix();
    }
}
