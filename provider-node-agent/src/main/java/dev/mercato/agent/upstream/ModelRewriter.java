package dev.mercato.agent.upstream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.StringWriter;

/**
 * Replaces the top-level {@code model} of a JSON request body with the name the upstream
 * knows the model by, copying every other token exactly as it was (numbers keep their digits).
 */
public final class ModelRewriter {

    private static final JsonFactory JSON = new JsonFactory();

    private ModelRewriter() {
    }

    /** @throws IllegalArgumentException when the body is not one JSON object */
    public static String withModel(String body, String model) {
        StringWriter out = new StringWriter(body.length() + model.length());
        try (JsonParser parser = JSON.createParser(body); JsonGenerator generator = JSON.createGenerator(out)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("request body is not a JSON object");
            }
            generator.writeStartObject();
            boolean replaced = false;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                if (name.equals("model")) {
                    parser.skipChildren();
                    if (!replaced) {
                        generator.writeStringField("model", model);
                        replaced = true;
                    }
                    continue;
                }
                generator.writeFieldName(name);
                generator.copyCurrentStructureExact(parser);
            }
            if (!replaced) {
                generator.writeStringField("model", model);
            }
            generator.writeEndObject();
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("request body has content after its JSON object");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("request body is not valid JSON: " + e.getMessage(), e);
        }
        return out.toString();
    }
}
