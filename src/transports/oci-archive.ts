import type { Image } from '../image/model.js';
import { TarLayoutReader } from './layout-reader.js';
import { writeTarAtomically } from './layout-writer.js';
import { OCI_LAYOUT_FILE, imageFromOciLayout, ociIndexWith, writeOciImage, type OciManifestResult } from './oci-layout.js';
import type { PlatformChoice } from './platform.js';

/** Reads an image from a tar of an OCI layout (oci-archive:PATH[:REF]); the tar is indexed, not extracted. */
export async function openOciArchive(path: string, name: string | undefined, choice: PlatformChoice): Promise<Image> {
  const layout = await TarLayoutReader.open(path);
  try {
    return await imageFromOciLayout(layout, name, choice);
  } catch (err) {
    await layout.close();
    throw err;
  }
}

/** Writes the image as a tar of an OCI layout, atomically: oci-layout, blobs, then index.json. */
export async function writeOciArchive(image: Image, path: string, refName: string | undefined): Promise<OciManifestResult> {
  let result: OciManifestResult | undefined;
  await writeTarAtomically(path, async (w) => {
    await w.write({ path: 'oci-layout', bytes: OCI_LAYOUT_FILE });
    result = await writeOciImage(image, w);
    await w.write({ path: 'index.json', bytes: ociIndexWith(undefined, result.descriptor, refName) });
  });
  return result!;
}
