// Runs the built inpaint-cli with QProcess (the one helper of the CLI tests in tests/cli and
// tests/cli_models) and checks the rules every run must keep: on failure exactly one line on
// stderr and no output file; the input image and mask are never modified (compared by SHA-256
// before and after).
#pragma once

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStringList>
#include <QTest>

namespace clitest {

inline QString binary()
{
    return QStringLiteral(INPAINT_BINARY_DIR "/app/cli/inpaint-cli");
}

inline QByteArray fileHash(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    return h.result();
}

struct Result {
    int exitCode = -1;     // -1: did not start or timed out; -2: crashed
    bool crashed = false;  // crashed or timed out
    QString out;
    QString err;
    QStringList errLines() const { return err.split(QLatin1Char('\n'), Qt::SkipEmptyParts); }
};

inline Result run(const QStringList& args, int timeoutMs = 120000)
{
    QProcess p;
    p.start(binary(), args);
    Result r;
    if (!p.waitForStarted(10000)) {
        r.err = QStringLiteral("could not start ") + binary();
        return r;
    }
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out");
        r.crashed = true;
        return r;
    }
    r.crashed = p.exitStatus() != QProcess::NormalExit;
    r.exitCode = r.crashed ? -2 : p.exitCode();
    r.out = QString::fromLocal8Bit(p.readAllStandardOutput());
    r.err = QString::fromLocal8Bit(p.readAllStandardError());
    return r;
}

// "run" with --image/--mask/--out taken from the argument list; verifies the invariants.
// Returns the result for further checks. Use inside a Qt Test function (QVERIFY may return).
#define CLI_RUN(result, args, imagePath, maskPath, outPath)                                                     \
    do {                                                                                                          \
        const QByteArray inHash_ = clitest::fileHash(imagePath);                                                  \
        const QByteArray maskHash_ = clitest::fileHash(maskPath);                                                 \
        const bool outExisted_ = QFileInfo::exists(outPath);                                                      \
        result = clitest::run(QStringList{QStringLiteral("run")} + (args));                                       \
        QVERIFY2(!result.crashed, qPrintable(result.err));                                                        \
        QCOMPARE(clitest::fileHash(imagePath), inHash_);                                                          \
        QCOMPARE(clitest::fileHash(maskPath), maskHash_);                                                         \
        if (result.exitCode != 0) {                                                                               \
            QCOMPARE(result.errLines().size(), 1);                                                                \
            QVERIFY2(result.errLines().first().startsWith("inpaint-cli"), qPrintable(result.err));                \
            if (!outExisted_) QVERIFY2(!QFileInfo::exists(outPath), "output written on failure");                 \
        } else {                                                                                                  \
            QVERIFY2(result.err.isEmpty(), qPrintable(result.err));                                               \
            QVERIFY(QFileInfo::exists(outPath));                                                                  \
        }                                                                                                         \
    } while (0)

}  // namespace clitest
