package dev.relay.streaming.upload;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class PartSizerUnitTests {

    private static final long MIB = 1024L * 1024;
    private static final int CHUNK = 256 * 1024;
    private static final long P = 16 * MIB;

    @Test
    void withNothingToRunAheadAnUploadHoldsOnePartOfThePreferredLength() {
        PartSizer sizer = new PartSizer(100 * MIB, 2 * P, P, 10_000, CHUNK);
        assertThat(sizer.capacity(0, 1, 0)).isEqualTo(P);
        assertThat(sizer.reach(0)).as("an upload holds one part").isEqualTo(P);
        assertThat(sizer.capacity(96 * MIB, 7, 0)).as("the last part").isEqualTo(4 * MIB);
    }

    @Test
    void theRoomUpToThePartSizeIsUsedBeforeAPartIsShortened() {
        PartSizer sizer = new PartSizer(1024 * MIB, 2 * P, P, 10_000, CHUNK);
        assertThat(sizer.capacity(0, 1, 10 * MIB - 100)).as("room enough past a whole part").isEqualTo(P);
        assertThat(sizer.reach(10 * MIB - 100)).as("a part and what runs past it, in whole MiB").isEqualTo(26 * MIB);
        assertThat(sizer.capacity(0, 1, 20 * MIB)).as("shortened by what the part size lacks").isEqualTo(12 * MIB);
        assertThat(sizer.reach(20 * MIB)).as("never beyond the part size").isEqualTo(2 * P);
    }

    @Test
    void withThePreferredLengthAtThePartSizePartsAreShortenedByWhatRunsPastThem() {
        PartSizer sizer = new PartSizer(1024 * MIB, P, P, 10_000, CHUNK);
        assertThat(sizer.capacity(0, 1, 0)).isEqualTo(P);
        assertThat(sizer.capacity(0, 1, 5 * MIB - 100)).as("shortened by the wanted bytes, in whole MiB")
                .isEqualTo(11 * MIB);
        assertThat(sizer.reach(5 * MIB - 100)).isEqualTo(P);
        assertThat(sizer.capacity(1000 * MIB, 80, 5 * MIB)).isEqualTo(11 * MIB);
        assertThat(sizer.capacity(1020 * MIB, 81, 5 * MIB)).as("the last part").isEqualTo(4 * MIB);
    }

    @Test
    void aPreferredLengthAboveThePartSizeIsThePartSize() {
        PartSizer sizer = new PartSizer(1024 * MIB, 5 * MIB, P, 10_000, CHUNK);
        assertThat(sizer.capacity(0, 1, 0)).isEqualTo(5 * MIB);
        assertThat(sizer.reach(0)).isEqualTo(5 * MIB);
        assertThat(sizer.reach(64 * MIB)).isEqualTo(5 * MIB);
    }

    @Test
    void aPartStaysAtLeastS3sMinimumAndAChunk() {
        PartSizer sizer = new PartSizer(1024 * MIB, P, P, 10_000, CHUNK);
        assertThat(sizer.capacity(0, 1, 64 * MIB)).isEqualTo(5 * MIB);
        PartSizer minimal = new PartSizer(1024 * MIB, 5 * MIB, 5 * MIB, 10_000, CHUNK);
        assertThat(minimal.capacity(0, 1, 64 * MIB)).as("no room to shorten").isEqualTo(5 * MIB);
        PartSizer bigChunks = new PartSizer(1024 * MIB, P, P, 10_000, 8 * 1024 * 1024);
        assertThat(bigChunks.capacity(0, 1, 64 * MIB)).isEqualTo(8 * MIB);
    }

    @Test
    void partsNeverRunOutOfPartNumbers() {
        // A file as large as the part size allows for 100 numbers: no part may be shorter.
        PartSizer sizer = new PartSizer(100 * P, P, P / 2, 100, CHUNK);
        assertThat(sizer.capacity(0, 1, 0)).as("no number to spare, whatever the preferred length").isEqualTo(P);
        assertThat(sizer.capacity(0, 1, 64 * MIB)).as("no number to spare").isEqualTo(P);
        PartSizer roomy = new PartSizer(50 * P, P, P, 100, CHUNK);
        assertThat(roomy.capacity(0, 1, 64 * MIB)).as("50 P for 100 numbers").isEqualTo(8 * MIB);
        assertThat(roomy.capacity(20 * P, 61, 64 * MIB)).as("30 P left for 40 numbers").isEqualTo(12 * MIB);
    }

    /** Any sequence of links: the parts cover the file within S3's rules and its part numbers. */
    @Test
    void everySequenceOfPartsKeepsS3sRules() {
        Random random = new Random(7);
        for (int run = 0; run < 2_000; run++) {
            long partSize = (5 + random.nextInt(28)) * MIB + (random.nextBoolean() ? 0 : random.nextInt(1 << 20));
            int maxParts = 20 + random.nextInt(200);
            long preferred = (5 + random.nextInt(28)) * MIB;
            long size = 1 + (long) (random.nextDouble() * partSize * maxParts);
            PartSizer sizer = new PartSizer(size, partSize, preferred, maxParts, CHUNK);
            long start = 0;
            int number = 1;
            while (start < size) {
                long wanted = random.nextInt(4) == 0 ? 0 : (long) (random.nextDouble() * 3 * partSize);
                long capacity = sizer.capacity(start, number, wanted);
                assertThat(capacity).isPositive().isLessThanOrEqualTo(partSize);
                assertThat(sizer.reach(wanted)).as("what may be received ahead of the durable offset")
                        .isLessThanOrEqualTo(partSize).isGreaterThanOrEqualTo(Math.min(preferred, partSize));
                if (start + capacity < size) {
                    assertThat(capacity).as("all but the last part").isGreaterThanOrEqualTo(5 * MIB);
                }
                start += capacity;
                number++;
            }
            assertThat(number - 1).as("parts of a %d-byte file in %d-byte parts", size, partSize)
                    .isLessThanOrEqualTo(maxParts);
        }
    }
}
