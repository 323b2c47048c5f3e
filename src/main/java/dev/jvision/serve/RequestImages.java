package dev.jvision.serve;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartFormData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * The images of a predict request: the body itself (an encoded image of any type) or each part
 * of a {@code multipart/form-data} body, read up to the size limit. Stateless and thread-safe.
 */
final class RequestImages {
    /** Parts of a multipart body (more is a 413). */
    static final int MAX_PARTS = 1024;

    /** One image: its bytes and its label (the part's file name or field name; "body" for a plain body). */
    record Image(String label, byte[] bytes) {}

    private RequestImages() {}

    /**
     * Reads the body (blocking the calling thread) and splits it into images.
     *
     * @throws ApiError 413 over {@code maxBody}, 400 for an empty body, image or malformed multipart
     */
    static List<Image> read(Request request, long maxBody) throws IOException {
        long declared = request.getLength();
        if (declared > maxBody) {
            throw tooLarge(declared + " bytes", maxBody);
        }
        byte[] body = declared >= 0 ? Request.asInputStream(request).readNBytes((int) declared)
                : readAtMost(Request.asInputStream(request), maxBody);
        if (body.length == 0) {
            throw new ApiError(400, "empty_image", "the request body is empty (expected: an encoded image, or "
                    + "multipart/form-data with image parts)");
        }
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")) {
            return List.of(new Image("body", body));
        }
        return parts(type, body, maxBody);
    }

    private static List<Image> parts(String type, byte[] body, long maxBody) throws IOException {
        String boundary = MultiPart.extractBoundary(type);
        if (boundary == null || boundary.isEmpty()) {
            throw new ApiError(400, "bad_multipart", "Content-Type " + type + " has no boundary (expected: "
                    + "multipart/form-data; boundary=...)");
        }
        MultiPartFormData.Parser parser = new MultiPartFormData.Parser(boundary);
        parser.setMaxLength(maxBody);
        parser.setMaxMemoryFileSize(maxBody);
        parser.setMaxParts(MAX_PARTS);
        MultiPartFormData.Parts parts;
        try {
            parts = parser.parse(Content.Source.from(ByteBuffer.wrap(body)),
                    org.eclipse.jetty.util.thread.Invocable.InvocationType.BLOCKING).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new ApiError(400, "bad_multipart", "malformed multipart/form-data body: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "shutting_down", "interrupted while reading the request");
        } catch (TimeoutException e) {
            throw new ApiError(400, "bad_multipart", "multipart/form-data body could not be parsed");
        }
        try (parts) {
            if (parts.size() == 0) {
                throw new ApiError(400, "empty_image", "multipart/form-data body has no parts (expected: one or more "
                        + "image parts)");
            }
            List<Image> out = new ArrayList<>(parts.size());
            for (int i = 0; i < parts.size(); i++) {
                MultiPart.Part p = parts.get(i);
                String label = p.getFileName() != null ? p.getFileName() : p.getName() != null ? p.getName()
                        : "part " + i;
                ByteBuffer b = Content.Source.asByteBuffer(p.getContentSource());
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                if (bytes.length == 0) {
                    throw new ApiError(400, "empty_image", "image " + i + " ('" + label + "') is empty (expected: an "
                            + "encoded image)");
                }
                out.add(new Image(label, bytes));
            }
            return out;
        }
    }

    private static byte[] readAtMost(InputStream in, long max) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[16 * 1024];
        long total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            total += n;
            if (total > max) {
                throw tooLarge("more than " + max + " bytes", max);
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    static ApiError tooLarge(String size, long max) {
        return new ApiError(413, "body_too_large", "request body of " + size + " (expected: at most " + max
                + " bytes; raise --max-body)", java.util.Map.of("Connection", "close"));
    }
}
