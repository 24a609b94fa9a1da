package dev.mercato.agent.upstream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ModelRewriterTest {

    @Test
    void replacesOnlyTheTopLevelModelAndKeepsNumbersExact() {
        String body = "{\"model\":\"llama-3.1-8b\",\"temperature\":0.10,\"max_tokens\":100,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"say \\\"hi\\\"\",\"model\":\"inner\"}]}";

        assertEquals("{\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"temperature\":0.10,\"max_tokens\":100,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"say \\\"hi\\\"\",\"model\":\"inner\"}]}",
            ModelRewriter.withModel(body, "meta-llama/Llama-3.1-8B-Instruct"));
    }

    @Test
    void rejectsABodyThatIsNotAJsonObject() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
            () -> ModelRewriter.withModel("[1,2]", "m"));

        assertEquals("request body is not a JSON object", error.getMessage());
    }
}
