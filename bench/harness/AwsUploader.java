import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The AWS SDK v2 baseline's JVM (bench/aws/AwsUploads.java), up for the whole measurement so that its JIT warms up
 * with the warm-up rounds, as the harness's does. Its CPU counts as the variant's client.
 */
final class AwsUploader implements AutoCloseable {

    private final Process process;
    private final BufferedReader answers;
    private final Writer commands;

    AwsUploader(String classpath, String endpoint, String accessKey, String secretKey, Path log) throws IOException {
        process = new ProcessBuilder(List.of("java", "-cp", classpath, "AwsUploads", endpoint, accessKey, secretKey))
                .redirectError(log.toFile())
                .start();
        answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    long pid() {
        return process.pid();
    }

    /** Uploads {@code file} with parts of {@code partBytes}, several at once; returns the seconds it took. */
    double upload(Path file, String bucket, String key, long partBytes) throws IOException {
        commands.write("upload " + file + " " + bucket + " " + key + " " + partBytes + "\n");
        commands.flush();
        String answer = answers.readLine();
        if (answer == null || !answer.startsWith("ok ")) {
            throw new IllegalStateException("AWS SDK upload failed: " + answer);
        }
        return Double.parseDouble(answer.substring(3));
    }

    @Override
    public void close() throws Exception {
        commands.close();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
