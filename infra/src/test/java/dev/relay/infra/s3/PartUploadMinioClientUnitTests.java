package dev.relay.infra.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.MinioAsyncClient;
import io.minio.Signer;
import io.minio.Time;
import io.minio.credentials.Credentials;
import io.minio.http.Method;
import java.security.MessageDigest;
import java.time.ZonedDateTime;
import java.util.HexFormat;
import java.util.Random;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okio.Buffer;
import org.junit.jupiter.api.Test;

/** The requests the client builds: parts without Content-MD5, in signed chunks over HTTP; others as the SDK's. */
class PartUploadMinioClientUnitTests {

    private static final Credentials CREDENTIALS = new Credentials("access", "secret", null, null);

    private final PartUploadMinioClient client = new PartUploadMinioClient(MinioAsyncClient.builder()
            .endpoint("http://127.0.0.1:9").region("us-east-1").credentials("access", "secret").build());

    @Test
    void aPartOverHttpGoesInSignedChunksWithoutMd5() throws Exception {
        byte[] part = new byte[1 << 20];
        new Random(3).nextBytes(part);
        int length = part.length - 10; // a buffer is sent up to its filled length only
        Request request = client.createRequest(partUrl("http"), Method.PUT, Headers.of(), part, length, CREDENTIALS);

        assertThat(request.header("Content-MD5")).isNull();
        assertThat(request.header("x-amz-content-sha256")).isEqualTo("STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
        assertThat(request.header("Content-Encoding")).isEqualTo("aws-chunked");
        assertThat(request.header("x-amz-decoded-content-length")).isEqualTo(Integer.toString(length));
        assertThat(request.header("x-amz-date")).isNotNull();
        assertThat(request.body().contentLength())
                .isEqualTo(AwsChunkedPayload.encodedLength(length, PartUploadMinioClient.SIGNED_CHUNK_BYTES));

        // Decoded, the chunks are the part's bytes, and the first is chained to the signature the SDK will send.
        Buffer sent = new Buffer();
        request.body().writeTo(sent);
        String seed = AwsChunkedPayload.signatureOf(Signer.signV4S3(request, "us-east-1", "access", "secret",
                request.header("x-amz-content-sha256")).header("Authorization"));
        java.io.ByteArrayOutputStream decoded = new java.io.ByteArrayOutputStream();
        String previous = seed;
        while (true) {
            String[] header = sent.readUtf8LineStrict().split(";chunk-signature=");
            int n = Integer.parseInt(header[0], 16);
            byte[] chunk = sent.readByteArray(n);
            assertThat(sent.readUtf8LineStrict()).isEmpty();
            String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(chunk));
            assertThat(header[1]).isEqualTo(Signer.getChunkSignature(sha256,
                    ZonedDateTime.parse(request.header("x-amz-date"), Time.AMZ_DATE_FORMAT), "us-east-1", "secret",
                    previous));
            previous = header[1];
            if (n == 0) {
                break;
            }
            decoded.write(chunk);
        }
        assertThat(sent.exhausted()).isTrue();
        assertThat(decoded.toByteArray()).isEqualTo(java.util.Arrays.copyOf(part, length));
    }

    @Test
    void aPartOverHttpsIsAnUnsignedPayloadUnderTls() throws Exception {
        Request request = client.createRequest(partUrl("https"), Method.PUT, Headers.of(), new byte[100], 100,
                CREDENTIALS);
        assertThat(request.header("Content-MD5")).isNull();
        assertThat(request.header("x-amz-content-sha256")).isEqualTo("UNSIGNED-PAYLOAD");
    }

    @Test
    void otherRequestsAreTheSdksOwn() throws Exception {
        HttpUrl url = HttpUrl.get("http://127.0.0.1:9/bucket/key");
        byte[] body = "<xml/>".getBytes();
        Request request = client.createRequest(url, Method.POST, Headers.of(), body, body.length, CREDENTIALS);
        assertThat(request.header("Content-MD5")).isNotNull();
        Request put = client.createRequest(url, Method.PUT, Headers.of(), body, body.length, CREDENTIALS);
        assertThat(put.header("Content-MD5")).as("a whole object, not a part").isNotNull();
    }

    private static HttpUrl partUrl(String scheme) {
        return HttpUrl.get(scheme + "://127.0.0.1:9/bucket/key?partNumber=3&uploadId=abc");
    }
}
