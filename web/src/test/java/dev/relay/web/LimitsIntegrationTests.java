package dev.relay.web;

import dev.relay.api.ErrorCode;
import dev.relay.api.wire.CreateUploadRequest;
import dev.relay.api.wire.UploadTicket;
import dev.relay.client.RelayClient;
import dev.relay.web.support.ServiceIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import java.time.Duration;

@TestPropertySource(properties = {
        "relay.transfer.max-file-size=10MB",
        "relay.transfer.user-quota=12MB",
        "relay.transfer.max-open-uploads-per-user=2"})
class LimitsIntegrationTests extends ServiceIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long MB = 1024 * 1024;

    @Test
    void aFileAboveTheMaximumSizeIsRefused() {
        UploadIntegrationTests.assertCode(client(newUser()).createUpload(
                new CreateUploadRequest("big.bin", 10 * MB + 1, null, null)), ErrorCode.FILE_TOO_LARGE);
    }

    @Test
    void uploadsBeyondTheQuotaAreRefusedAndCancellingFreesRoom() {
        RelayClient client = client(newUser());
        UploadTicket first = client.createUpload(new CreateUploadRequest("a.bin", 8 * MB, null, null)).block(TIMEOUT);
        UploadIntegrationTests.assertCode(client.createUpload(new CreateUploadRequest("b.bin", 5 * MB, null, null)),
                ErrorCode.QUOTA_EXCEEDED);

        client.cancel(first.id()).block(TIMEOUT);
        client.createUpload(new CreateUploadRequest("b.bin", 5 * MB, null, null)).block(TIMEOUT);
    }

    @Test
    void theNumberOfUnfinishedUploadsIsLimited() {
        RelayClient client = client(newUser());
        client.createUpload(new CreateUploadRequest("1.bin", 1, null, null)).block(TIMEOUT);
        client.createUpload(new CreateUploadRequest("2.bin", 1, null, null)).block(TIMEOUT);
        UploadIntegrationTests.assertCode(client.createUpload(new CreateUploadRequest("3.bin", 1, null, null)),
                ErrorCode.TOO_MANY_UPLOADS);
    }
}
