package io.meshwarden.files;

import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The one walk of a folder of manifests or policies, with the one rule for hidden entries: a file or folder whose
 * name starts with a dot is skipped, with everything below it (a checkout's {@code .git}, a ConfigMap volume's
 * {@code ..data}). The snapshot loader, {@code fix} and the GitOps source all read folders this way, so what one
 * reads the others read too.
 *
 * @param files     regular files (links to files included), in path order
 * @param notRegular entries that are neither a folder nor a regular file (sockets, links to folders when not
 *                   followed), in path order
 */
public record FileTree(List<Path> files, List<Path> notRegular) {
    public FileTree {
        files = List.copyOf(files);
        notRegular = List.copyOf(notRegular);
    }

    public static boolean hidden(Path p) {
        return p.getFileName() != null && p.getFileName().toString().startsWith(".");
    }

    /** @param followLinks also descend into linked folders (up to {@code maxDepth}) */
    public static FileTree walk(Path root, boolean followLinks, int maxDepth) throws IOException {
        List<Path> files = new ArrayList<>();
        List<Path> other = new ArrayList<>();
        Set<FileVisitOption> options = followLinks ? EnumSet.of(FileVisitOption.FOLLOW_LINKS)
                : EnumSet.noneOf(FileVisitOption.class);
        Files.walkFileTree(root, options, maxDepth, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return !dir.equals(root) && hidden(dir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (hidden(file)) {
                    return FileVisitResult.CONTINUE;
                }
                if (Files.isRegularFile(file)) {
                    files.add(file);
                } else {
                    other.add(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        });
        files.sort(null);
        other.sort(null);
        return new FileTree(files, other);
    }
}
