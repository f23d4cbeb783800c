package io.meshwarden.api;

import io.meshwarden.http.MediaTypes;
import io.meshwarden.policy.Documents;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.MessageBodyWriter;
import jakarta.ws.rs.ext.Provider;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;

/** Renders any response entity as YAML when the client asks for it with Accept. */
@Provider
@Produces({MediaTypes.YAML, MediaTypes.YAML_X, MediaTypes.YAML_TEXT})
public class YamlBodyWriter implements MessageBodyWriter<Object> {

    @Override
    public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return mediaType != null && mediaType.getSubtype().contains("yaml") && type != String.class;
    }

    @Override
    public void writeTo(Object value, Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType,
            MultivaluedMap<String, Object> headers, OutputStream out) throws IOException {
        out.write(Documents.toYaml(value).getBytes(StandardCharsets.UTF_8));
    }
}
