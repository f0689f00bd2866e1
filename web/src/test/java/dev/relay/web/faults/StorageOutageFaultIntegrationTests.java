package dev.relay.web.faults;

import dev.relay.infra.testing.TestServices;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Issue #4, case 3: the S3 server (the shared S3Proxy process) stopped and started again mid-upload. */
class StorageOutageFaultIntegrationTests extends OutageFaults {

    @DynamicPropertySource
    static void settings(DynamicPropertyRegistry registry) {
        services(registry, null);
    }

    @Override
    String kind() {
        return "s3";
    }

    @Override
    void stopStorage() {
        TestServices.get().stopS3();
    }

    @Override
    void startStorage() {
        TestServices.get().startS3();
    }

    @Test
    void aShortS3OutageIsAPause() throws Exception {
        shortOutageIsAPause();
    }

    @Test
    void anS3OutageBeyondTheRetryTimeoutFailsWithTheDurableOffsetAndResumes() throws Exception {
        longOutageFailsClearlyAndResumes();
    }
}
