package org.omspush.claimcheck.push;

import java.util.ArrayList;
import java.util.List;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** Small DOM look-ups by namespace and local name, children only (never a document-wide search). */
final class Dom {
  private Dom() {}

  static List<Element> children(Element parent) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n.getNodeType() == Node.ELEMENT_NODE) {
        out.add((Element) n);
      }
    }
    return out;
  }

  /** The single child with that name, null when absent; two of them is an error. */
  static Element child(Element parent, String ns, String localName) throws DuplicateElementException {
    Element found = null;
    for (Element e : children(parent)) {
      if (is(e, ns, localName)) {
        if (found != null) {
          throw new DuplicateElementException(localName);
        }
        found = e;
      }
    }
    return found;
  }

  static boolean is(Element e, String ns, String localName) {
    return ns.equals(e.getNamespaceURI()) && localName.equals(e.getLocalName());
  }

  /** Text of the child trimmed; null when the child is absent, "" when empty. */
  static String text(Element parent, String ns, String localName) throws DuplicateElementException {
    Element e = child(parent, ns, localName);
    return e == null ? null : e.getTextContent().strip();
  }

  static final class DuplicateElementException extends Exception {
    DuplicateElementException(String localName) {
      super(localName + " appears more than once", null, false, false);
    }
  }
}
