package dev.jvision.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** {@code docs/openapi-serve.yaml} lists exactly the server's endpoints and every error code it answers. */
class OpenApiDocTest {
    @Test
    void openApi_matchesTheServer() throws Exception {
        Map<?, ?> doc = new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(Path.of("docs/openapi-serve.yaml")));
        assertEquals(Set.of("/v1/models/{name}:predict", "/v1/models/{name}/versions/{version}:predict", "/v1/models",
                "/v1/models/{name}", "/v1/models/{name}/versions/{version}", "/health/live", "/health/ready",
                "/metrics"), ((Map<?, ?>) doc.get("paths")).keySet());
        Map<?, ?> schemas = (Map<?, ?>) ((Map<?, ?>) doc.get("components")).get("schemas");
        Map<?, ?> error = (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) schemas.get("Error")).get("properties")).get("error");
        Set<String> documented = new TreeSet<>();
        for (Object o : (List<?>) error.get("enum")) {
            documented.add(o.toString());
        }
        Set<String> used = new TreeSet<>();
        Pattern code = Pattern.compile("(?:new ApiError\\(\\d+, |error\\()\"([a-z_]+)\"");
        try (Stream<Path> files = Files.list(Path.of("src/main/java/dev/jvision/serve"))) {
            for (Path f : files.toList()) {
                Matcher m = code.matcher(Files.readString(f));
                while (m.find()) {
                    used.add(m.group(1));
                }
            }
        }
        assertTrue(used.size() > 10, "codes found in the sources: " + used);
        assertEquals(used, documented, "error codes answered by the server vs documented");
    }
}
