package dev.jvision.cli;

import dev.jvision.config.DataConfig;
import dev.jvision.data.ClassNames;
import dev.jvision.data.DataValidator;
import dev.jvision.data.ImagePaths;
import dev.jvision.data.ManifestValidator;
import dev.jvision.data.detection.DetectionSource;
import dev.jvision.data.detection.DetectionValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jvision validate-data}: counts, class distribution, image sizes and bad files, for the
 * competition layout or, streaming in bounded memory, for image manifests.
 */
@Command(name = "validate-data", mixinStandardHelpOptions = true,
        description = {"Check a dataset: counts, class distribution, image size histogram, bad files.",
                "Image manifests (image_path,label[,split]: --manifest, or data.train_manifest/val_manifest) are "
                        + "streamed: memory stays bounded for any row count; every problem goes to an error file.",
                "Detection data (--coco instances.json [--images DIR], or --yolo DIR|LIST [--split S]): boxes outside "
                        + "the image, zero or negative size, unknown categories, duplicate ids, missing or corrupt images; "
                        + "exit 2 on any bad annotation, and on bad images unless --on-bad-image skip."})
final class ValidateDataCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--data", paramLabel = "DIR", description = "data folder (default: data.root of the config)")
    Path data;

    @Option(names = "--manifest", paramLabel = "CSV", description = "image manifest(s) to check (repeatable; default: "
            + "data.train_manifest and data.val_manifest of the config, when set)")
    List<Path> manifests = new ArrayList<>();

    @Option(names = "--class-file", paramLabel = "FILE", description = "class names, one per line or index,name "
            + "(default: data.class_file)")
    Path classFile;

    @Option(names = "--allow-absolute-paths", description = "accept absolute image paths anywhere (as data.allow_absolute_paths)")
    boolean allowAbsolute;

    @Option(names = "--root", paramLabel = "DIR", description = "a folder absolute image paths may lie under (repeatable; "
            + "adds to data.roots)")
    List<Path> roots = new ArrayList<>();

    @Option(names = "--check-images", paramLabel = "none|header|decode", defaultValue = "header",
            description = "manifests: none = exists and not empty; header = also dimensions and end marker from the "
                    + "header (fast); decode = full decode (default: ${DEFAULT-VALUE})")
    String checkImages;

    @Option(names = "--threads", defaultValue = "0", description = "manifests: file-checking threads, 0 = 4 per core "
            + "for none/header, 1 per core for decode (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--errors", paramLabel = "FILE", description = "manifests: where every problem is written "
            + "(default: <manifest>.errors.txt beside it; one manifest only)")
    Path errors;

    @Option(names = "--show", defaultValue = "10", description = "manifests: problems listed per kind (default: ${DEFAULT-VALUE})")
    int show;

    @Option(names = "--remove-corrupt", description = "competition layout: move bad files to <data>/_corrupt and rewrite "
            + "the CSVs (a .bak copy is kept); manifests: write <manifest>.clean.csv without the bad rows (the "
            + "manifest and the images are left alone)")
    boolean removeCorrupt;

    @Option(names = "--coco", paramLabel = "JSON", description = "detection: COCO instances file(s) to check (repeatable)")
    List<Path> coco = new ArrayList<>();

    @Option(names = "--images", paramLabel = "DIR", description = "detection: the folder --coco file names are relative "
            + "to (default: ROOT/images/SPLIT for ROOT/annotations/instances_SPLIT.json, else the JSON's folder)")
    Path images;

    @Option(names = "--yolo", paramLabel = "DIR|LIST", description = "detection: a YOLO folder (images/SPLIT, labels/SPLIT, "
            + "classes.txt) or a list of image paths (labels at images/ -> labels/, .txt)")
    Path yolo;

    @Option(names = "--split", paramLabel = "NAME", description = "detection: the YOLO folder's split to check (repeatable; "
            + "default: every folder under images/)")
    List<String> splits = new ArrayList<>();

    @Option(names = "--on-bad-image", paramLabel = "error|skip", description = "detection: skip = bad images are reported "
            + "but do not fail the check (default: data.on_bad_image of the config, else error)")
    String onBadImage;

    @Override
    public Integer call() throws Exception {
        if (!coco.isEmpty() || yolo != null) return detection();
        DataConfig d = data == null && Files.exists(options.config) ? options.load().data() : DataConfig.defaults();
        Path root = data != null ? data : d.root();
        List<Path> csvs = new ArrayList<>(manifests);
        if (csvs.isEmpty() && d.manifests().train() != null) {
            csvs.add(root.resolve(d.manifests().train()));
            if (d.manifests().val() != null) csvs.add(root.resolve(d.manifests().val()));
        }
        if (!csvs.isEmpty()) return manifests(d, root, csvs);

        DataValidator.Report r = DataValidator.validate(root, d.layout().trainCsv(), d.layout().trainDir(), d.layout().testDir(), d.layout().sampleSubmission());
        int n = r.classCounts().keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        List<String> names = ClassNames.read(root.resolve(d.layout().metaCsv()), Math.max(n, 1));
        System.out.println(r.format(names));
        if (removeCorrupt && !r.ok()) {
            List<String> moved = DataValidator.removeCorrupt(root, r, d.layout().trainCsv(), d.layout().trainDir(), d.layout().testDir(), d.layout().sampleSubmission());
            System.out.println("removed " + moved.size() + " bad rows/files:");
            moved.forEach(m -> System.out.println("  " + m));
            return 0;
        }
        return r.ok() ? 0 : Main.BAD_INPUT;
    }

    private int manifests(DataConfig d, Path root, List<Path> csvs) throws Exception {
        ManifestValidator.Check check = switch (checkImages.toLowerCase(Locale.ROOT)) {
            case "none" -> ManifestValidator.Check.NONE;
            case "header" -> ManifestValidator.Check.HEADER;
            case "decode" -> ManifestValidator.Check.DECODE;
            default -> throw new IllegalArgumentException("--check-images: " + checkImages + " (expected: none, header or decode)");
        };
        if (errors != null && csvs.size() > 1) {
            throw new IllegalArgumentException("--errors: " + errors + " (expected: with a single --manifest)");
        }
        if (show < 0) throw new IllegalArgumentException("--show: " + show + " (expected: >= 0)");
        int cores = Runtime.getRuntime().availableProcessors();
        int n = threads > 0 ? threads : check == ManifestValidator.Check.DECODE ? cores : 4 * cores;
        Path cf = classFile != null ? classFile : d.manifests().classFile() != null ? root.resolve(d.manifests().classFile()) : null;
        List<String> names = cf == null ? null : ClassNames.readClassFile(cf);
        List<Path> allowed = new ArrayList<>(roots);
        d.manifests().roots().forEach(r -> allowed.add(Path.of(r)));
        boolean bad = false;
        for (int i = 0; i < csvs.size(); i++) {
            Path csv = csvs.get(i);
            ImagePaths paths = new ImagePaths(csv.toAbsolutePath().getParent(), allowAbsolute || d.manifests().allowAbsolutePaths(), allowed);
            String defaultSplit = manifests.isEmpty() && i == 1 ? "val" : "train";
            Path errFile = errors != null ? errors : csv.resolveSibling(stem(csv) + ".errors.txt");
            ManifestValidator.Report r = ManifestValidator.validate(csv,
                    new ManifestValidator.Options(paths, names, defaultSplit, check, n, show, errFile));
            System.out.print(r.format(names));
            if (!r.ok()) {
                if (removeCorrupt) {
                    ManifestValidator.Cleaned c = ManifestValidator.writeClean(csv, r.badLines(), ManifestValidator.cleanName(csv));
                    System.out.printf("wrote %s: kept %d rows, dropped %d bad rows; %s is unchanged (point "
                            + "data.train_manifest at the clean file to use it)%n", c.out(), c.kept(), c.dropped(), csv);
                } else {
                    bad = true;
                }
            }
        }
        return bad ? Main.BAD_INPUT : 0;
    }

    private int detection() throws Exception {
        ManifestValidator.Check check = switch (checkImages.toLowerCase(Locale.ROOT)) {
            case "none" -> ManifestValidator.Check.NONE;
            case "header" -> ManifestValidator.Check.HEADER;
            case "decode" -> ManifestValidator.Check.DECODE;
            default -> throw new IllegalArgumentException("--check-images: " + checkImages + " (expected: none, header or decode)");
        };
        String policy = onBadImage != null ? onBadImage
                : Files.exists(options.config) ? options.load().data().loader().onBadImage().toString() : "error";
        if (!policy.equals("error") && !policy.equals("skip")) {
            throw new IllegalArgumentException("--on-bad-image: " + policy + " (expected: error or skip)");
        }
        if (show < 0) throw new IllegalArgumentException("--show: " + show + " (expected: >= 0)");
        List<DetectionSource> sources = new ArrayList<>();
        for (Path json : coco) {
            Path dir = images;
            if (dir == null) {
                String fn = String.valueOf(json.getFileName());
                Path parent = json.toAbsolutePath().getParent();
                boolean usual = fn.startsWith("instances_") && fn.endsWith(".json") && parent.getFileName() != null
                        && parent.getFileName().toString().equals("annotations");
                dir = usual ? parent.resolveSibling("images").resolve(fn.substring(10, fn.length() - 5)) : parent;
            }
            sources.add(DetectionSource.coco(json, dir));
        }
        if (yolo != null) {
            if (Files.isDirectory(yolo)) {
                List<String> names = new ArrayList<>(splits);
                if (names.isEmpty()) {
                    Path imgs = yolo.resolve("images");
                    if (!Files.isDirectory(imgs)) {
                        throw new IllegalArgumentException("--yolo: " + yolo + " has no images/ folder (expected: images/SPLIT "
                                + "and labels/SPLIT, or a list file of image paths)");
                    }
                    try (var st = Files.list(imgs)) {
                        st.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().forEach(names::add);
                    }
                }
                for (String sp : names) sources.add(DetectionSource.yoloLayout(yolo, sp, classFile));
            } else {
                sources.add(DetectionSource.yoloManifest(yolo, classFile));
            }
        }
        boolean bad = false;
        for (DetectionSource src : sources) {
            DetectionValidator.Report r = DetectionValidator.validate(src, check);
            System.out.print(r.format(show));
            if (!r.ok("skip".equals(policy))) bad = true;
            else if (!r.imageProblems().isEmpty()) {
                System.out.println("  (on_bad_image: skip: the " + r.imageProblems().size() + " bad images are left out)");
            }
        }
        return bad ? Main.BAD_INPUT : 0;
    }

    private static String stem(Path csv) {
        String fn = String.valueOf(csv.getFileName());
        int dot = fn.lastIndexOf('.');
        return dot > 0 ? fn.substring(0, dot) : fn;
    }
}
