import type { TarEntryType } from '../tar/tar-reader.js';

/**
 * dive's image efficiency (wagoodman/dive, dive/filetree/efficiency.go), computed from layer tar
 * headers only. Kept faithful to dive so the numbers can be compared:
 *
 * - Each layer is a tree built from its headers in tar order; parents a layer does not list get
 *   an empty payload (size 0, not a directory), as dive's AddPath gives them.
 * - Every leaf of every layer tree is one appearance of its path. A leaf's size is its header
 *   size; a whiteout's size is that of the node it hides in the layers below stacked together:
 *   everything under it (itself included) if that node is a directory, 0 if it is a file.
 * - Per path: cumulative size over appearances and the smallest one. Paths that appear in two or
 *   more layers are inefficiencies; wasted bytes = the sum of their cumulative sizes.
 * - efficiency = sum of minimum sizes / sum of cumulative sizes (1 when nothing has a size).
 *
 * Opaque-directory markers (.wh..wh..opq) are ignored, as dive ignores them. One deliberate
 * difference: a whiteout of a path no lower layer has counts 0, where dive stops visiting the
 * rest of that layer on the lookup error.
 */

/** What the calculation needs of a tar header; TarEntry has it. */
export interface EfficiencyHeader {
  readonly name: string;
  readonly type: TarEntryType;
  /** Bytes of content (0 for anything but a regular file). */
  readonly size: number;
}

/** One path that appears in more than one layer (dive's EfficiencyData). */
export interface Inefficiency {
  /** Absolute path in the image, e.g. "/var/cache/apt/pkgcache.bin". */
  path: string;
  /** Sum of its size over every appearance; a whiteout counts what it hid (see above). */
  cumulativeSize: number;
  /** How many layers it appears in. */
  count: number;
  /** Zero-based indexes of those layers. */
  layers: number[];
}

export interface EfficiencyResult {
  /** 0..1; 1 means no path was ever added twice or deleted. */
  efficiency: number;
  /** Sum of cumulativeSize over every inefficiency. */
  wastedBytes: number;
  /** Largest cumulative size first, then by path. */
  inefficiencies: Inefficiency[];
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_PREFIX = '.wh..wh..';

interface TreeNode {
  size: number;
  isDir: boolean;
  children: Map<string, TreeNode>;
}

const newNode = (size = 0, isDir = false): TreeNode => ({ size, isDir, children: new Map() });

/** Go's path.Clean, split: ".." folds away, "." and empty parts vanish. */
function splitClean(name: string): string[] {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts;
}

/** dive's FileTree.AddPath: walk or create (empty payload) each part; the last gets the payload. */
function addPath(root: TreeNode, parts: readonly string[], size: number, isDir: boolean): void {
  let node = root;
  for (const name of parts) {
    let child = node.children.get(name);
    if (!child) {
      if (name.startsWith(OPAQUE_PREFIX)) return;
      child = newNode();
      node.children.set(name, child);
    }
    node = child;
  }
  // A replaced payload keeps the node's children, as in dive.
  node.size = size;
  node.isDir = isDir;
}

function getNode(root: TreeNode, parts: readonly string[]): TreeNode | undefined {
  let node: TreeNode | undefined = root;
  for (const name of parts) {
    node = node.children.get(name);
    if (!node) return undefined;
  }
  return node;
}

function removePath(root: TreeNode, parts: readonly string[]): void {
  if (parts.length === 0) return;
  getNode(root, parts.slice(0, -1))?.children.delete(parts[parts.length - 1]!);
}

/** Sum of sizes of a node and everything under it (dive's sizer over VisitDepthChildFirst). */
function subtreeSize(node: TreeNode): number {
  let total = node.size;
  for (const child of node.children.values()) total += subtreeSize(child);
  return total;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Visits every node under `node`, children before their parent, siblings in name order (dive's
 * VisitDepthChildFirst). `parts` is the node's path; the visitor gets the path of each node.
 */
function visitChildFirst(node: TreeNode, parts: string[], visit: (n: TreeNode, name: string, path: readonly string[]) => void): void {
  for (const name of [...node.children.keys()].sort(byName)) {
    const child = node.children.get(name)!;
    parts.push(name);
    visitChildFirst(child, parts, visit);
    visit(child, name, parts);
    parts.pop();
  }
}

/** A whiteout's path is the path it hides: the prefix is dropped from the last part only. */
function appearancePath(name: string, path: readonly string[]): string[] {
  const parts = path.slice();
  if (name.startsWith(WHITEOUT_PREFIX)) parts[parts.length - 1] = name.slice(WHITEOUT_PREFIX.length);
  return parts;
}

/** One layer's tree, built header by header so a layer can be streamed. */
export class LayerTree {
  readonly root: TreeNode = newNode();

  add(header: EfficiencyHeader): void {
    const parts = splitClean(header.name);
    if (parts.length === 0) return;
    addPath(this.root, parts, header.size, header.type === 'dir');
  }
}

interface PathData {
  cumulative: number;
  min: number;
  layers: number[];
}

/**
 * Feeds layers bottom to top; keeps only the layers stacked so far and one entry per path, so
 * memory follows the file count of the image.
 */
export class EfficiencyCalculator {
  private readonly stacked: TreeNode = newNode();
  private readonly paths = new Map<string, PathData>();
  private layerIndex = 0;

  addLayer(layer: LayerTree): void {
    const index = this.layerIndex++;
    visitChildFirst(layer.root, [], (node, name, path) => {
      if (node.children.size > 0) return;
      const parts = appearancePath(name, path);
      let size = node.size;
      if (name.startsWith(WHITEOUT_PREFIX)) {
        const hidden = getNode(this.stacked, parts);
        size = hidden?.isDir ? subtreeSize(hidden) : 0;
      }
      const key = `/${parts.join('/')}`;
      const data = this.paths.get(key);
      if (data) {
        data.cumulative += size;
        data.min = Math.min(data.min, size);
        data.layers.push(index);
      } else {
        this.paths.set(key, { cumulative: size, min: size, layers: [index] });
      }
    });
    // dive's FileTree.Stack: whiteouts remove what they hide, everything else is added.
    visitChildFirst(layer.root, [], (node, name, path) => {
      if (name.startsWith(WHITEOUT_PREFIX)) removePath(this.stacked, appearancePath(name, path));
      else addPath(this.stacked, path, node.size, node.isDir);
    });
  }

  result(): EfficiencyResult {
    let minimum = 0;
    let cumulative = 0;
    let wastedBytes = 0;
    const inefficiencies: Inefficiency[] = [];
    for (const [path, d] of this.paths) {
      minimum += d.min;
      cumulative += d.cumulative;
      if (d.layers.length >= 2) {
        wastedBytes += d.cumulative;
        inefficiencies.push({ path, cumulativeSize: d.cumulative, count: d.layers.length, layers: d.layers });
      }
    }
    inefficiencies.sort((a, b) => b.cumulativeSize - a.cumulativeSize || byName(a.path, b.path));
    return { efficiency: cumulative === 0 ? 1 : minimum / cumulative, wastedBytes, inefficiencies };
  }
}

/** The whole calculation over header lists, bottom layer first. */
export function computeEfficiency(layers: Iterable<Iterable<EfficiencyHeader>>): EfficiencyResult {
  const calc = new EfficiencyCalculator();
  for (const headers of layers) {
    const tree = new LayerTree();
    for (const h of headers) tree.add(h);
    calc.addLayer(tree);
  }
  return calc.result();
}

/**
 * dive's "user wasted percent": wasted bytes over the bytes of every layer but the first (the
 * base the user did not build). Layer bytes are the sums of header sizes, as dive counts them.
 */
export function userWastedRatio(wastedBytes: number, layerContentBytes: readonly number[]): number {
  const userBytes = layerContentBytes.slice(1).reduce((n, b) => n + b, 0);
  return userBytes > 0 ? wastedBytes / userBytes : 0;
}
