package dev.mercato.simulator;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulator's JSON: requests become a small tree of maps, lists, strings, numbers, booleans
 * and {@link #NULL}; answers are written field by field, so their bytes follow the code's order.
 */
final class Json {

    /** A JSON {@code null} in a parsed tree, kept apart from an absent member. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** Deepest nesting a request may have; real requests stay far below it. */
    static final int MAX_DEPTH = 64;

    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private Json() {
    }

    /** Writes one JSON value with a generator. */
    @FunctionalInterface
    interface Writer {
        void write(JsonGenerator generator) throws IOException;
    }

    /** The JSON text that {@code writer} produces. */
    static String text(Writer writer) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator generator = FACTORY.createGenerator(out)) {
            writer.write(generator);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JSON to memory", e);
        }
        return out.toString();
    }

    /** @throws InvalidRequestException when {@code text} is not one JSON object */
    static Map<String, Object> parseObject(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidRequestException("request body is empty; expected a JSON object", null);
        }
        try (JsonParser parser = FACTORY.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw new InvalidRequestException("request body must be a JSON object", null);
            }
            Object value = readValue(parser, first, 1);
            if (parser.nextToken() != null) {
                throw new InvalidRequestException("request body has content after its JSON object", null);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> object = (Map<String, Object>) value;
            return object;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new InvalidRequestException("request body is not valid JSON" + (at == null ? ""
                : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"), null);
        } catch (IOException e) {
            throw new InvalidRequestException("request body cannot be read: " + e.getMessage(), null);
        }
    }

    private static Object readValue(JsonParser parser, JsonToken token, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new InvalidRequestException("request JSON nests deeper than " + MAX_DEPTH + " levels", null);
        }
        return switch (token) {
            case START_OBJECT -> {
                Map<String, Object> object = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    object.put(name, readValue(parser, parser.nextToken(), depth + 1));
                }
                yield object;
            }
            case START_ARRAY -> {
                List<Object> array = new ArrayList<>();
                JsonToken next;
                while ((next = parser.nextToken()) != JsonToken.END_ARRAY) {
                    array.add(readValue(parser, next, depth + 1));
                }
                yield array;
            }
            case VALUE_STRING -> parser.getText();
            case VALUE_NUMBER_INT -> parser.getNumberValue();
            case VALUE_NUMBER_FLOAT -> parser.getDecimalValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> NULL;
            default -> throw new InvalidRequestException("unexpected JSON token " + token, null);
        };
    }

    /** Writes a value of a parsed tree back out unchanged. */
    static void write(JsonGenerator generator, Object value) throws IOException {
        switch (value) {
            case Map<?, ?> object -> {
                generator.writeStartObject();
                for (Map.Entry<?, ?> member : object.entrySet()) {
                    generator.writeFieldName((String) member.getKey());
                    write(generator, member.getValue());
                }
                generator.writeEndObject();
            }
            case List<?> array -> {
                generator.writeStartArray();
                for (Object element : array) {
                    write(generator, element);
                }
                generator.writeEndArray();
            }
            case String string -> generator.writeString(string);
            case java.math.BigDecimal decimal -> generator.writeNumber(decimal);
            case java.math.BigInteger integer -> generator.writeNumber(integer);
            case Number number -> generator.writeNumber(number.longValue());
            case Boolean bool -> generator.writeBoolean(bool);
            default -> generator.writeNull();
        }
    }

    /** The member as an object, or null when it is absent or JSON null. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Map<String, Object> parent, String name, String path) {
        Object value = parent.get(name);
        if (value == null || value == NULL) {
            return null;
        }
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw new InvalidRequestException(path + ": Input should be an object", path);
    }

    /** The member as an array, or null when it is absent or JSON null. */
    @SuppressWarnings("unchecked")
    static List<Object> array(Map<String, Object> parent, String name, String path) {
        Object value = parent.get(name);
        if (value == null || value == NULL) {
            return null;
        }
        if (value instanceof List<?> list) {
            return (List<Object>) list;
        }
        throw new InvalidRequestException(path + ": Input should be a valid list", path);
    }

    /** The member as a string, or null when it is absent or JSON null. */
    static String string(Map<String, Object> parent, String name, String path) {
        Object value = parent.get(name);
        if (value == null || value == NULL) {
            return null;
        }
        if (value instanceof String string) {
            return string;
        }
        throw new InvalidRequestException(path + ": Input should be a valid string", path);
    }

    /** The member as a whole number, or null when it is absent or JSON null. */
    static Long integer(Map<String, Object> parent, String name, String path) {
        Object value = parent.get(name);
        if (value == null || value == NULL) {
            return null;
        }
        if (value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        throw new InvalidRequestException(path + ": Input should be a valid integer", path);
    }

    /** The member as a boolean; false when it is absent or JSON null. */
    static boolean flag(Map<String, Object> parent, String name, String path) {
        Object value = parent.get(name);
        if (value == null || value == NULL) {
            return false;
        }
        if (value instanceof Boolean bool) {
            return bool;
        }
        throw new InvalidRequestException(path + ": Input should be a valid boolean", path);
    }
}
