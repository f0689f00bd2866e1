import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** A small line chart as PNG (headless AWT): aggregate throughput against the number of concurrent uploads. */
final class Plot {

    private static final int WIDTH = 720;
    private static final int HEIGHT = 420;
    private static final int LEFT = 80;
    private static final int RIGHT = 50; // room for the last point's label
    private static final int TOP = 50;
    private static final int BOTTOM = 60;

    private Plot() {
    }

    /** {@code xs} are plotted on a log2 axis (1, 4, 16, 64); {@code ys} in MB/s. */
    static void scaling(Path png, String title, int[] xs, double[] ys) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));

        double maxY = 0;
        for (double y : ys) {
            maxY = Double.isNaN(y) ? maxY : Math.max(maxY, y);
        }
        maxY = Math.max(10, Math.ceil(maxY * 1.2 / 10) * 10);
        double minX = log2(xs[0]);
        double maxX = log2(xs[xs.length - 1]);
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;

        g.setColor(new Color(230, 230, 230));
        for (int i = 0; i <= 5; i++) {
            int y = TOP + plotH - plotH * i / 5;
            g.drawLine(LEFT, y, LEFT + plotW, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.0f", maxY * i / 5), LEFT - 45, y + 5);
            g.setColor(new Color(230, 230, 230));
        }
        g.setColor(Color.DARK_GRAY);
        g.drawLine(LEFT, TOP, LEFT, TOP + plotH);
        g.drawLine(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH);
        int[] px = new int[xs.length];
        int[] py = new int[xs.length];
        for (int i = 0; i < xs.length; i++) {
            px[i] = LEFT + (int) ((log2(xs[i]) - minX) / (maxX - minX) * plotW);
            py[i] = TOP + plotH - (int) ((Double.isNaN(ys[i]) ? 0 : ys[i]) / maxY * plotH);
            g.drawString(Integer.toString(xs[i]), px[i] - 6, TOP + plotH + 20);
        }
        g.drawString("concurrent uploads", LEFT + plotW / 2 - 60, HEIGHT - 15);
        g.rotate(-Math.PI / 2);
        g.drawString("aggregate MB/s", -(TOP + plotH / 2 + 45), 25);
        g.rotate(Math.PI / 2);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, LEFT, 30);

        g.setColor(new Color(25, 118, 210));
        g.setStroke(new BasicStroke(3));
        g.drawPolyline(px, py, xs.length);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i < xs.length; i++) {
            g.fillOval(px[i] - 5, py[i] - 5, 10, 10);
            g.drawString(String.format(Locale.ROOT, "%.0f", ys[i]), px[i] + 8, py[i] - 8);
        }
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    private static double log2(int x) {
        return Math.log(x) / Math.log(2);
    }
}
