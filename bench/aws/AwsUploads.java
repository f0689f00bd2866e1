import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.multipart.MultipartConfiguration;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The benchmark's fastest direct uploader: the AWS SDK v2's own multipart client, which sends parts in parallel, in a
 * JVM of its own (its Netty must not meet the service's on one class path) that stays up between uploads, so that
 * its JIT warms up like the harness's. Reads commands from stdin, one per line:
 * {@code upload FILE BUCKET KEY PART_BYTES} answers {@code ok SECONDS} (the upload alone, timed here) or
 * {@code error MESSAGE}. S3Proxy needs checksums only when required (environment.md).
 *
 * <p>Usage: {@code java -cp ... AwsUploads ENDPOINT ACCESS_KEY SECRET_KEY}
 */
public final class AwsUploads {

    public static void main(String[] args) throws Exception {
        Map<Long, S3AsyncClient> clients = new HashMap<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        try {
            for (String line; (line = in.readLine()) != null; ) {
                String[] words = line.trim().split(" ");
                if (!words[0].equals("upload") || words.length != 5) {
                    System.out.println("error unknown command: " + line);
                    continue;
                }
                long partBytes = Long.parseLong(words[4]);
                S3AsyncClient s3 = clients.computeIfAbsent(partBytes, part -> client(args, part));
                long started = System.nanoTime();
                try {
                    s3.putObject(PutObjectRequest.builder().bucket(words[2]).key(words[3])
                                    .contentType("application/octet-stream").build(),
                            AsyncRequestBody.fromFile(Path.of(words[1]))).join();
                    System.out.println("ok " + (System.nanoTime() - started) / 1e9);
                } catch (RuntimeException e) {
                    System.out.println("error " + e.toString().replace('\n', ' '));
                }
                System.out.flush();
            }
        } finally {
            clients.values().forEach(S3AsyncClient::close);
        }
    }

    private static S3AsyncClient client(String[] args, long partBytes) {
        return S3AsyncClient.builder()
                .endpointOverride(URI.create(args[0]))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(args[1], args[2])))
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .multipartEnabled(true)
                .multipartConfiguration(MultipartConfiguration.builder()
                        .minimumPartSizeInBytes(partBytes).thresholdInBytes(partBytes).build())
                .build();
    }
}
