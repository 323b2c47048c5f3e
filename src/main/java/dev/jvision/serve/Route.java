package dev.jvision.serve;

/**
 * A request path taken apart: {@code /v1/models[/{name}[/versions/{v}]][:predict]}; {@link #isApi()}
 * is false for any other path. Immutable.
 */
final class Route {
    private static final String MODELS = "/v1/models";
    private static final String PREDICT = ":predict";

    final boolean api;
    final String name;
    final String version;
    final boolean predict;

    Route(String path) {
        String rest = path.startsWith(MODELS) ? path.substring(MODELS.length()) : null;
        boolean p = rest != null && rest.endsWith(PREDICT);
        if (p) {
            rest = rest.substring(0, rest.length() - PREDICT.length());
        }
        String n = null;
        String v = null;
        boolean ok = rest != null;
        if (ok && !rest.isEmpty() && !rest.equals("/")) {
            String[] seg = rest.substring(1).split("/", -1);
            ok = rest.startsWith("/") && !seg[0].isEmpty()
                    && (seg.length == 1 || seg.length == 3 && seg[1].equals("versions") && !seg[2].isEmpty());
            n = seg[0];
            v = seg.length == 3 ? seg[2] : null;
        } else if (p) {
            ok = false; // "/v1/models:predict"
        }
        api = ok;
        name = ok ? n : null;
        version = ok ? v : null;
        predict = ok && p;
    }

    boolean isApi() {
        return api;
    }
}
