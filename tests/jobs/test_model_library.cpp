// Model library: the reference models are found and described from headers (kind, in_channels,
// dtype, size equal to the weight files' data), nested and direct folders are both scanned, and a
// broken model (truncated weights, missing config) is listed with a reason naming it while the
// good ones still come through.
#include "core/jobs/model_library.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace inpaint::jobs;

namespace {
const QString kModels = QStringLiteral(INPAINT_TEST_DATA_DIR "/reference/models");

bool copyTree(const QString& from, const QString& to)
{
    QDir src(from);
    if (!QDir().mkpath(to)) return false;
    for (const QFileInfo& fi : src.entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QString dst = QDir(to).filePath(fi.fileName());
        if (fi.isDir() ? !copyTree(fi.filePath(), dst) : !QFile::copy(fi.filePath(), dst)) return false;
    }
    return true;
}
}  // namespace

class TestModelLibrary : public QObject {
    Q_OBJECT
private slots:
    void describesReferenceModels()
    {
        const ModelInfo sd = describeModel(kModels + "/tiny-sd");
        QVERIFY2(sd.ok(), qPrintable(sd.error));
        QCOMPARE(sd.name, QStringLiteral("tiny-sd"));
        QCOMPARE(sd.unetInChannels, 4);
        QVERIFY(!sd.inpainting());
        QCOMPARE(sd.dtype, QStringLiteral("fp32"));
        QCOMPARE(sd.defaultScheduler, QStringLiteral("PNDMScheduler"));
        QCOMPARE(sd.predictionType, QStringLiteral("epsilon"));
        QCOMPARE(sd.latentShape, QStringLiteral("4ch/2x"));  // tiny VAE: two blocks
        // The data of the three weight files, without their JSON headers.
        qint64 files = 0;
        for (const char* f : {"/unet/diffusion_pytorch_model.safetensors", "/vae/diffusion_pytorch_model.safetensors",
                              "/text_encoder/model.safetensors"})
            files += QFileInfo(kModels + "/tiny-sd" + f).size();
        QVERIFY(sd.bytes > files * 9 / 10 && sd.bytes < files);

        const ModelInfo in = describeModel(kModels + "/tiny-sd-inpaint");
        QVERIFY2(in.ok(), qPrintable(in.error));
        QCOMPARE(in.unetInChannels, 9);
        QVERIFY(in.inpainting());
        QVERIFY(in.kind.endsWith("-inpaint"));
        QVERIFY(in.summary().contains("inpainting"));
    }

    void scanFindsModelsAndReportsBrokenOnes()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(copyTree(kModels + "/tiny-sd", dir.filePath("a-good")));
        QVERIFY(copyTree(kModels + "/tiny-sd", dir.filePath("b-truncated")));
        QVERIFY(copyTree(kModels + "/tiny-sd", dir.filePath("c-no-unet-config")));
        QDir().mkpath(dir.filePath("d-not-a-model"));
        QFile t(dir.filePath("b-truncated/unet/diffusion_pytorch_model.safetensors"));
        QVERIFY(t.resize(1000));
        QVERIFY(QFile::remove(dir.filePath("c-no-unet-config/unet/config.json")));

        const QList<ModelInfo> all = scanModelFolders({dir.path(), kModels + "/tiny-sd-inpaint", dir.filePath("missing")});
        QCOMPARE(all.size(), 4);
        QCOMPARE(all[0].name, QStringLiteral("a-good"));
        QVERIFY(all[0].ok());
        QCOMPARE(all[1].name, QStringLiteral("b-truncated"));
        QVERIFY(!all[1].ok());
        QVERIFY2(all[1].error.contains("b-truncated") && all[1].error.contains("diffusion_pytorch_model.safetensors"),
                 qPrintable(all[1].error));
        QCOMPARE(all[2].name, QStringLiteral("c-no-unet-config"));
        QVERIFY(!all[2].ok());
        QVERIFY2(all[2].error.contains("config.json"), qPrintable(all[2].error));
        QCOMPARE(all[3].name, QStringLiteral("tiny-sd-inpaint"));
        QVERIFY(all[3].ok());
    }

    // Single files are listed beside folders, from their keys (family, channels, dtype, size);
    // VAE and LoRA files and the loras/ folder are not models; a .ckpt that would run code is
    // listed with the refused global.
    void scanListsSingleFiles()
    {
        const QString sf = QStringLiteral(INPAINT_TEST_DATA_DIR "/reference/models/single-file/");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(QDir().mkpath(dir.filePath("loras")) && QDir().mkpath(dir.filePath("more")));
        for (const char* f : {"tiny-sd.safetensors", "tiny-sd.yaml", "tiny-sd.ckpt", "tiny-sd-inpaint.safetensors",
                              "tiny-sd-inpaint.yaml", "vae-alt.safetensors", "malicious.ckpt"})
            QVERIFY(QFile::copy(sf + f, dir.filePath(f)));
        QVERIFY(QFile::copy(sf + "tiny-sd-fp16.safetensors", dir.filePath("more/tiny-sd-fp16.safetensors")));
        QVERIFY(QFile::copy(sf + "tiny-sd-fp16.yaml", dir.filePath("more/tiny-sd-fp16.yaml")));
        QVERIFY(QFile::copy(QStringLiteral(INPAINT_TEST_DATA_DIR "/reference/models/lora/kohya-unet-te.safetensors"),
                            dir.filePath("loras/kohya-unet-te.safetensors")));
        QVERIFY(QFile::copy(sf + "tiny-sd.safetensors", dir.filePath("loras/not-listed.safetensors")));

        const QList<ModelInfo> all = scanModelFolders({dir.path()});
        QStringList names;
        for (const ModelInfo& m : all) names << m.name;
        QCOMPARE(names, (QStringList{"malicious.ckpt", "tiny-sd-fp16.safetensors", "tiny-sd-inpaint.safetensors",
                                     "tiny-sd.ckpt", "tiny-sd.safetensors"}));
        for (const ModelInfo& m : all) QVERIFY(m.singleFile);
        QVERIFY(!all[0].ok());
        QVERIFY2(all[0].error.contains("posix") && all[0].error.contains("system"), qPrintable(all[0].error));

        // Family, channels, dtype and size come from the keys. The tiny files' text encoders are
        // not a standard CLIP, so without --config (which the library does not pass) they are
        // listed as unusable, naming the way out.
        const QStringList kinds{"sd1", "sd1-inpaint", "sd1", "sd1"}, dtypes{"fp16", "fp32", "fp32", "fp32"};
        for (int i = 1; i <= 4; ++i) {
            const ModelInfo& m = all[i];
            QCOMPARE(m.kind, kinds[i - 1]);
            QCOMPARE(m.unetInChannels, i == 2 ? 9 : 4);
            QCOMPARE(m.dtype, dtypes[i - 1]);
            QCOMPARE(m.bytes, QFileInfo(m.path).size());
            QVERIFY(!m.ok());
            QVERIFY2(m.error.startsWith(m.name) && m.error.contains("--config"), qPrintable(m.error));
        }
        QCOMPARE(all[1].path, QFileInfo(dir.filePath("more/tiny-sd-fp16.safetensors")).canonicalFilePath());
        ModelInfo usable = all[2];
        usable.error.clear();
        QVERIFY2(usable.summary().contains("inpainting") && usable.summary().contains("single file, 9 channels"),
                 qPrintable(usable.summary()));
        QVERIFY(!describeSingleFile(dir.filePath("vae-alt.safetensors")).has_value());
    }

    // LoRAs (recursively under loras/), VAE files and folders in vae/, TAESD folders (by their
    // config's class, in vae/ or directly in the models folder) and the embeddings folder.
    void scanListsAddOns()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto touch = [&](const QString& rel, const QByteArray& text = "x") {
            QVERIFY(QDir().mkpath(QFileInfo(dir.filePath(rel)).absolutePath()));
            QFile f(dir.filePath(rel));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(text);
        };
        touch("loras/b-style.safetensors");
        touch("loras/people/a-face.pt");
        touch("loras/readme.txt");
        touch("vae/ft-mse.safetensors");
        touch("vae/kl/config.json", R"({"_class_name": "AutoencoderKL"})");
        touch("vae/taesd/config.json", R"({"_class_name": "AutoencoderTiny"})");
        touch("taesdxl/config.json", R"({"_class_name": "AutoencoderTiny"})");
        touch("embeddings/neg.pt");
        const AddOnFiles a = scanAddOnFiles({dir.path(), dir.filePath("missing")});
        QStringList loras;
        for (const QString& f : a.loras) loras << QFileInfo(f).fileName();
        QCOMPARE(loras, (QStringList{"a-face.pt", "b-style.safetensors"}));
        QCOMPARE(a.vaes, (QStringList{dir.filePath("vae/ft-mse.safetensors"), dir.filePath("vae/kl")}));
        QCOMPARE(a.tinyVaes, (QStringList{dir.filePath("vae/taesd"), dir.filePath("taesdxl")}));
        QCOMPARE(a.loraFolders, QStringList{dir.filePath("loras")});
        QCOMPARE(a.embeddingFolders, QStringList{dir.filePath("embeddings")});
    }

    void defaultFolderIsUnderXdgData()
    {
        QVERIFY(defaultModelsFolder().endsWith("/inpaint-studio/models"));
    }
};

QTEST_GUILESS_MAIN(TestModelLibrary)
#include "test_model_library.moc"
