package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.ConfigException;
import dev.jvision.config.Configs;
import dev.jvision.config.DataConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image manifests ({@code image_path,label[,split]}): paths, class files, labels, splits, errors. */
class ManifestImagesTest {
    @TempDir Path tmp;

    private ImagePaths rel(Path base) {
        return new ImagePaths(base, false, List.of());
    }

    @Test
    void imagePaths_relativeResolveUnderTheBase_dotDotIsRefusedEverywhere() {
        ImagePaths p = rel(tmp);
        assertEquals(tmp.resolve("a/b.jpg").toAbsolutePath().normalize(), p.resolve("a/b.jpg").file());
        assertEquals(tmp.resolve("a/b.jpg").toAbsolutePath().normalize(), p.resolve("./a/./b.jpg").file());
        for (String v : List.of("../x.jpg", "a/../../x.jpg", "a/../b.jpg")) {
            ImagePaths.Resolved r = p.resolve(v);
            assertNull(r.file(), v);
            assertTrue(r.problem().startsWith("'..' is not allowed (expected: a path inside " + tmp.toAbsolutePath()), r.problem());
        }
        ImagePaths any = new ImagePaths(tmp, true, List.of());
        assertNull(any.resolve("/data/../etc/passwd").file(), "'..' in an absolute path is refused even when absolute paths are allowed");
        assertTrue(p.resolve("").problem().startsWith("empty path"));
    }

    @Test
    void imagePaths_absolutePathsNeedTheFlagOrAnAllowedRoot() {
        ImagePaths strict = rel(tmp);
        ImagePaths.Resolved r = strict.resolve("/data/imgs/a.jpg");
        assertNull(r.file());
        assertTrue(r.problem().contains("set data.allow_absolute_paths: true, or list its folder in data.roots"), r.problem());

        ImagePaths any = new ImagePaths(tmp, true, List.of());
        assertEquals(Path.of("/data/imgs/a.jpg"), any.resolve("/data/imgs/a.jpg").file());

        ImagePaths roots = new ImagePaths(tmp, false, List.of(Path.of("/data/imgs"), Path.of("/mnt/x")));
        assertEquals(Path.of("/mnt/x/y/a.jpg"), roots.resolve("/mnt/x/y/a.jpg").file());
        assertNull(roots.resolve("/data/imgsX/a.jpg").file(), "a sibling with the root as name prefix is not under it");
        assertNull(roots.resolve("/etc/passwd").file());
        assertTrue(roots.resolve("/etc/passwd").problem().contains("or under [/data/imgs, /mnt/x]"));
    }

    @Test
    void classFile_plainLinesAndIndexNameCsv() throws IOException {
        Path plain = TestImages.csv(tmp.resolve("classes.txt"), "cat", "", "dog", "bird  ");
        assertEquals(List.of("cat", "dog", "bird"), ClassNames.readClassFile(plain));
        Path csv = TestImages.csv(tmp.resolve("classes.csv"), "index,name", "2,bird", "0,cat", "1,\"dog, big\"");
        assertEquals(List.of("cat", "dog, big", "bird"), ClassNames.readClassFile(csv));
        Path noHeader = TestImages.csv(tmp.resolve("c2.csv"), "1,b", "0,a");
        assertEquals(List.of("a", "b"), ClassNames.readClassFile(noHeader));
    }

    @Test
    void classFile_manyClassesAreFine() throws IOException {
        String[] lines = new String[4523];
        for (int i = 0; i < lines.length; i++) lines[i] = "n" + (1_000_000 + i);
        List<String> names = ClassNames.readClassFile(TestImages.csv(tmp.resolve("big.txt"), lines));
        assertEquals(4523, names.size());
        assertEquals("n1004522", names.get(4522));
    }

    @Test
    void classFile_problemsNameFileAndLine() throws IOException {
        DataException dup = assertThrows(DataException.class,
                () -> ClassNames.readClassFile(TestImages.csv(tmp.resolve("d.txt"), "cat", "dog", "cat")));
        assertEquals(List.of("d.txt:3 name: 'cat' (expected: unique names; also on line 1)"), dup.problems());
        DataException gap = assertThrows(DataException.class,
                () -> ClassNames.readClassFile(TestImages.csv(tmp.resolve("g.csv"), "0,a", "2,c")));
        assertTrue(gap.problems().get(0).startsWith("g.csv: index 1 missing"), gap.problems().toString());
        DataException bad = assertThrows(DataException.class,
                () -> ClassNames.readClassFile(TestImages.csv(tmp.resolve("b.csv"), "0,a", "x,b")));
        assertEquals("b.csv:2 index: 'x' (expected: an integer >= 0, as in 'index,name')", bad.problems().get(0));
    }

    @Test
    void readImages_mapsNamesSplitsRowsAndChecksFiles() throws IOException {
        Path img = Files.createDirectories(tmp.resolve("img"));
        redGreenBlue(img);
        Path abs = TestImages.rgbPng(Files.createDirectories(tmp.resolve("elsewhere")).resolve("d.png"), 8, 8, 1, 2, 3);
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.move(img, data.resolve("img"));
        List<String> names = List.of("cat", "dog", "bird");
        Path csv = TestImages.csv(data.resolve("train.csv"), "image_path,label,split",
                "img/a.png,cat,", "img/b.png,dog,train", "img/c.png,2,val", abs + ",bird,");
        ImagePaths paths = new ImagePaths(data, false, List.of(tmp.resolve("elsewhere")));
        Manifest train = Manifest.readImages(csv, paths, names, "train", "train", false);
        assertEquals(List.of("img/a.png", "img/b.png", abs.toString()), train.samples().stream().map(Sample::id).toList());
        assertEquals(List.of(0, 1, 2), train.samples().stream().map(Sample::label).toList());
        assertEquals(List.of(2, 3, 5), train.samples().stream().map(Sample::line).toList());
        assertEquals(3, train.numClasses(), "the class file's count, not max label + 1");
        Manifest val = Manifest.readImages(csv, paths, names, "train", "val", false);
        assertEquals(List.of("img/c.png"), val.samples().stream().map(Sample::id).toList());
        assertEquals(2, val.samples().get(0).label());
    }

    @Test
    void readImages_listsEveryBadRowWithFileAndLine() throws IOException {
        TestImages.rgbPng(tmp.resolve("a.png"), 8, 8, 255, 0, 0);
        Path csv = TestImages.csv(tmp.resolve("m.csv"), "image_path,label",
                "a.png,cat",
                "a.png,cat",
                "../x.png,cat",
                "/abs/y.png,cat",
                "b.png,zebra",
                "lonely",
                "gone.png,7");
        DataException e = assertThrows(DataException.class,
                () -> Manifest.readImages(csv, rel(tmp), List.of("cat"), "train", "train", false));
        List<String> p = e.problems();
        assertEquals(6, p.size(), p.toString());
        assertEquals("m.csv:3 image_path 'a.png': duplicate path (same file as line 2)", p.get(0));
        assertTrue(p.get(1).startsWith("m.csv:4 image_path '../x.png': '..' is not allowed"), p.get(1));
        assertTrue(p.get(2).startsWith("m.csv:5 image_path '/abs/y.png': absolute path outside the allowed roots"), p.get(2));
        assertEquals("m.csv:6 image_path 'b.png': unknown class 'zebra' (expected: a name in the class file or an id 0..0)", p.get(3));
        assertEquals("m.csv:7 image_path 'lonely': 1 field (expected: image_path,label[,split])", p.get(4));
        assertEquals("m.csv:8 image_path 'gone.png': unknown class '7' (expected: a name in the class file or an id 0..0)", p.get(5));

        Manifest skipped = Manifest.readImages(csv, rel(tmp), List.of("cat"), "train", "train", true);
        assertEquals(1, skipped.samples().size());
        assertEquals(6, skipped.skipped().size());
    }

    @Test
    void readImages_withoutClassFile_labelsMustBeIds_andMissingFilesAreReported() throws IOException {
        Path csv = TestImages.csv(tmp.resolve("m.csv"), "image_path,label", "x.png,cat", "y.png,3");
        DataException e = assertThrows(DataException.class,
                () -> Manifest.readImages(csv, rel(tmp), null, "train", "train", false));
        assertEquals("m.csv:2 image_path 'x.png': label 'cat' (expected: a class id >= 0, or set data.class_file "
                + "to map class names)", e.problems().get(0));
        assertTrue(e.problems().get(1).startsWith("m.csv:3 image_path 'y.png': missing file"), e.problems().get(1));
    }

    @Test
    void readImages_badHeaderAndUnclosedQuote() throws IOException {
        Path h = TestImages.csv(tmp.resolve("h.csv"), "ID,target", "a.png,0");
        DataException e = assertThrows(DataException.class,
                () -> Manifest.readImages(h, rel(tmp), null, "train", "train", false));
        assertEquals("h.csv:1 header: missing column image_path (found [ID, target]; expected: image_path,label[,split])",
                e.problems().get(0));
        Path q = TestImages.csv(tmp.resolve("q.csv"), "image_path,label", "a.png,0", "\"b.png,1", "c.png,2");
        DataException m = assertThrows(DataException.class,
                () -> Manifest.readImages(q, rel(tmp), null, "train", "train", false));
        assertTrue(m.problems().get(0).startsWith("q.csv:"), m.problems().get(0));
        assertTrue(m.problems().get(0).contains("malformed CSV"), m.problems().get(0));
    }

    @Test
    void competitionData_manifestMode_readsTrainValAndClassNames() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        redGreenBlue(root);
        TestImages.csv(root.resolve("classes.txt"), "cat", "dog", "bird", "fish");
        TestImages.csv(root.resolve("m.csv"), "image_path,label,split", "a.png,cat,", "b.png,dog,", "c.png,bird,val");
        DataConfig d = Configs.fromYaml("data:\n  root: " + root + "\n  train_manifest: m.csv\n  class_file: classes.txt\n",
                "t.yaml", List.of()).data();
        CompetitionData cd = CompetitionData.open(d, 1);
        assertEquals(2, cd.train().samples().size());
        assertEquals(List.of("cat", "dog", "bird", "fish"), cd.classNames());
        assertEquals(4, cd.train().numClasses());
        assertEquals(List.of("c.png"), cd.validation().orElseThrow().samples().stream().map(Sample::id).toList());
    }

    @Test
    void config_manifestKeysBindAndAreChecked() {
        DataConfig d = Configs.fromYaml("data:\n  train_manifest: t.csv\n  val_manifest: v.csv\n  class_file: c.txt\n"
                + "  allow_absolute_paths: true\n  roots: [/data/a, /mnt/b]\n", "t.yaml", List.of()).data();
        assertEquals("t.csv", d.manifests().train());
        assertEquals("v.csv", d.manifests().val());
        assertEquals("c.txt", d.manifests().classFile());
        assertTrue(d.manifests().allowAbsolutePaths());
        assertEquals(List.of("/data/a", "/mnt/b"), d.manifests().roots());
        assertFalse(DataConfig.defaults().manifests().allowAbsolutePaths());
        ConfigException e = assertThrows(ConfigException.class,
                () -> Configs.fromYaml("data:\n  roots: [relative/dir]\n", "t.yaml", List.of()));
        assertTrue(e.getMessage().contains("roots: 'relative/dir' (expected: absolute folders)"), e.getMessage());
        ConfigException v = assertThrows(ConfigException.class,
                () -> Configs.fromYaml("data:\n  val_manifest: v.csv\n", "t.yaml", List.of()));
        assertTrue(v.getMessage().contains("(expected: set together with train_manifest)"), v.getMessage());
    }

    /** Writes a red {@code a.png}, a green {@code b.png} and a blue {@code c.png} (8x8) into {@code dir}. */
    private static void redGreenBlue(Path dir) throws IOException {
        TestImages.rgbPng(dir.resolve("a.png"), 8, 8, 255, 0, 0);
        TestImages.rgbPng(dir.resolve("b.png"), 8, 8, 0, 255, 0);
        TestImages.rgbPng(dir.resolve("c.png"), 8, 8, 0, 0, 255);
    }
}
