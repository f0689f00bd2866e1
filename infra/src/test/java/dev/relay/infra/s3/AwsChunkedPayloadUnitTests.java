package dev.relay.infra.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.streaming.port.PartFeed;
import io.minio.Signer;
import io.minio.Time;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Request;
import okhttp3.RequestBody;
import okio.Buffer;
import org.junit.jupiter.api.Test;

/**
 * The signed streaming format against the worked example of AWS's documentation ("Signature Calculations for the
 * Authorization Header: Transferring Payload in Multiple Chunks"): 66,560 bytes of 'a' in 64 KiB chunks.
 */
class AwsChunkedPayloadUnitTests {

    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final String DATE = "20130524T000000Z";
    private static final String SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

    @Test
    void theSdksSignerGivesTheDocumentedSeedSignature() throws Exception {
        Request request = new Request.Builder()
                .url("http://s3.amazonaws.com/examplebucket/chunkObject.txt")
                .header("Host", "s3.amazonaws.com")
                .header("x-amz-date", DATE)
                .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
                .header("x-amz-content-sha256", AwsChunkedPayload.CONTENT_SHA256)
                .header("Content-Encoding", "aws-chunked")
                .header("x-amz-decoded-content-length", "66560")
                .header("Content-Length", "66824")
                .put(RequestBody.create(new byte[0]))
                .build();
        Request signed = Signer.signV4S3(request, "us-east-1", "AKIAIOSFODNN7EXAMPLE", SECRET,
                AwsChunkedPayload.CONTENT_SHA256);
        assertThat(AwsChunkedPayload.signatureOf(signed.header("Authorization"))).isEqualTo(SEED);
    }

    @Test
    void theBodyIsTheDocumentedChunksWithTheirSignatures() throws Exception {
        byte[] data = new byte[66560];
        Arrays.fill(data, (byte) 'a');
        AwsChunkedPayload body = new AwsChunkedPayload(whole(data, data.length), 1000, 64 * 1024, null,
                ZonedDateTime.parse(DATE, Time.AMZ_DATE_FORMAT), "us-east-1", SECRET, SEED);
        assertThat(body.contentLength()).isEqualTo(66824);

        Buffer sent = new Buffer();
        body.writeTo(sent);
        assertThat(sent.size()).isEqualTo(66824);
        assertThat(sent.readUtf8Line()).isEqualTo("10000;chunk-signature="
                + "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
        assertThat(sent.readByteArray(65536)).isEqualTo(Arrays.copyOf(data, 65536));
        assertThat(sent.readUtf8Line()).isEmpty();
        assertThat(sent.readUtf8Line()).isEqualTo("400;chunk-signature="
                + "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
        assertThat(new String(sent.readByteArray(1024), StandardCharsets.US_ASCII)).isEqualTo("a".repeat(1024));
        assertThat(sent.readUtf8Line()).isEmpty();
        assertThat(sent.readUtf8Line()).isEqualTo("0;chunk-signature="
                + "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
        assertThat(sent.readUtf8Line()).isEmpty();
        assertThat(sent.exhausted()).isTrue();
    }

    @Test
    void theBodyCanBeWrittenAgainForARetriedConnection() throws Exception {
        byte[] data = new byte[200_000];
        new java.util.Random(7).nextBytes(data);
        AwsChunkedPayload body = new AwsChunkedPayload(whole(data, 150_000), 1000, 8192, null,
                ZonedDateTime.parse(DATE, Time.AMZ_DATE_FORMAT), "us-east-1", SECRET, SEED);
        Buffer first = new Buffer();
        Buffer second = new Buffer();
        body.writeTo(first);
        body.writeTo(second);
        assertThat(first.size()).isEqualTo(body.contentLength());
        assertThat(first.readByteString()).isEqualTo(second.readByteString());
    }

    /** A part still arriving: each chunk goes out once its bytes are in; a part that stops coming fails the body. */
    @Test
    void aChunkIsSentAsSoonAsItsBytesAreIn() throws Exception {
        byte[] data = new byte[3 * 8192];
        Arrays.fill(data, (byte) 'b');
        PartFeed feed = PartFeed.over(data, data.length);
        AwsChunkedPayload body = new AwsChunkedPayload(feed, 5_000, 8192, null,
                ZonedDateTime.parse(DATE, Time.AMZ_DATE_FORMAT), "us-east-1", SECRET, SEED);
        Buffer sent = new Buffer();
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            try {
                body.writeTo(sent);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        feed.advance(8191);
        Thread.sleep(200);
        assertThat(writing).isNotDone();
        feed.advance(2 * 8192 + 1);
        Thread.sleep(200);
        assertThat(writing).isNotDone();
        feed.advance(data.length);
        writing.get(5, TimeUnit.SECONDS);
        assertThat(sent.size()).isEqualTo(body.contentLength());

        PartFeed stalled = PartFeed.over(data, data.length);
        stalled.advance(100);
        AwsChunkedPayload never = new AwsChunkedPayload(stalled, 300, 8192, null,
                ZonedDateTime.parse(DATE, Time.AMZ_DATE_FORMAT), "us-east-1", SECRET, SEED);
        assertThatThrownBy(() -> never.writeTo(new Buffer())).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("No bytes of the part arrived for 300 ms");
    }

    private static PartFeed whole(byte[] data, int length) {
        PartFeed feed = PartFeed.over(data, length);
        feed.advance(length);
        return feed;
    }

    @Test
    void encodedLengthCountsEveryChunkAndTheFinalOne() {
        int overhead = ";chunk-signature=".length() + 64 + 4;
        assertThat(AwsChunkedPayload.encodedLength(0, 8192)).isEqualTo(1 + overhead);
        assertThat(AwsChunkedPayload.encodedLength(8192, 8192)).isEqualTo(8192 + 4 + overhead + 1 + overhead);
        assertThat(AwsChunkedPayload.encodedLength(8193, 8192))
                .isEqualTo(8193 + 4 + overhead + 1 + overhead + 1 + overhead);
    }
}
