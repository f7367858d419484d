// CRC-32C and SHA-256 against published test vectors; the hardware CRC path equals the portable
// slicing-by-8 one on every length and alignment.
#include "storage/Crc32c.h"
#include "storage/Sha256.h"

#include <QtTest>

#include <random>
#include <vector>

using namespace strata::storage;

class TestChecksums : public QObject {
    Q_OBJECT
private slots:
    void crc32cMatchesPublishedVectors() {
        QCOMPARE(crc32c("123456789", 9), 0xE3069283u);
        QCOMPARE(crc32cPortable("123456789", 9), 0xE3069283u);
        std::vector<unsigned char> zeros(32, 0), ones(32, 0xFF), inc(32);
        for (int i = 0; i < 32; ++i) inc[i] = (unsigned char)i;
        QCOMPARE(crc32c(zeros.data(), 32), 0x8A9136AAu); // RFC 3720 B.4
        QCOMPARE(crc32c(ones.data(), 32), 0x62A8AB43u);
        QCOMPARE(crc32c(inc.data(), 32), 0x46DD794Eu);
        QCOMPARE(crc32c(nullptr, 0), 0u);
    }
    void crc32cContinuesAcrossPieces() {
        const char* text = "123456789";
        QCOMPARE(crc32c(text + 4, 5, crc32c(text, 4)), 0xE3069283u);
    }
    void hardwareAndPortableAgreeOnEveryAlignment() {
        std::mt19937 rng(7);
        std::vector<unsigned char> buf(4096 + 16);
        for (auto& b : buf) b = (unsigned char)rng();
        for (std::size_t offset = 0; offset < 16; ++offset)
            for (std::size_t len : {0, 1, 7, 8, 9, 63, 64, 65, 1000, 4096})
                QCOMPARE(crc32c(buf.data() + offset, len), crc32cPortable(buf.data() + offset, len));
    }
    void sha256MatchesPublishedVectors() {
        QCOMPARE(QString::fromStdString(Sha256::hex("")), QString("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(QString::fromStdString(Sha256::hex("abc")), QString("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        QCOMPARE(QString::fromStdString(Sha256::hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
                 QString("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
        Sha256 h; // a million 'a's fed in uneven pieces
        const std::string chunk(997, 'a');
        std::size_t left = 1000000;
        while (left) {
            const std::size_t n = std::min(left, chunk.size());
            h.update(chunk.data(), n);
            left -= n;
        }
        QCOMPARE(QString::fromStdString(h.hexDigest()), QString("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    }
};

QTEST_GUILESS_MAIN(TestChecksums)
#include "tst_checksums.moc"
