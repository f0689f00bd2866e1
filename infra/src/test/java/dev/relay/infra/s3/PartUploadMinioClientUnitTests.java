package dev.relay.infra.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.MinioAsyncClient;
import io.minio.credentials.Credentials;
import io.minio.http.Method;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okio.Buffer;
import org.junit.jupiter.api.Test;

/** The requests the client builds: parts without Content-MD5 but with their payload signed; others as the SDK's. */
class PartUploadMinioClientUnitTests {

    private static final Credentials CREDENTIALS = new Credentials("access", "secret", null, null);

    private final PartUploadMinioClient client = new PartUploadMinioClient(MinioAsyncClient.builder()
            .endpoint("http://127.0.0.1:9").region("us-east-1").credentials("access", "secret").build());

    @Test
    void aPartOverHttpCarriesTheSha256OfItsBytesAndNoMd5() throws Exception {
        byte[] part = new byte[1 << 20];
        new Random(3).nextBytes(part);
        int length = part.length - 10; // a buffer is sent up to its filled length only
        Request request = client.createRequest(partUrl("http"), Method.PUT, Headers.of(), part, length, CREDENTIALS);

        assertThat(request.header("Content-MD5")).isNull();
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        sha256.update(part, 0, length);
        assertThat(request.header("x-amz-content-sha256")).isEqualTo(HexFormat.of().formatHex(sha256.digest()));
        Buffer sent = new Buffer();
        request.body().writeTo(sent);
        assertThat(sent.readByteArray()).isEqualTo(java.util.Arrays.copyOf(part, length));
        assertThat(request.body().contentLength()).isEqualTo(length);
        assertThat(request.header("x-amz-date")).isNotNull();
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
